import { fileURLToPath } from 'node:url';
import { createEditServiceApp } from '../lib/edit-service-app.ts';

// `cdk synth` / `cdk deploy` run this (cdk.json: "app"). Settings come from context; see docs/deploy.md.
const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
createEditServiceApp({ projectRoot }).app.synth();
