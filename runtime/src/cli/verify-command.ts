import { parseArgs } from 'node:util';
import { parseExecutionProvider } from '#runtime/onnx/execution-provider.ts';
import { formatParityReport } from '#runtime/parity/report.ts';
import { verifyBundle } from '#runtime/parity/verify-bundle.ts';
import { resolveModelDir } from './model-location.ts';

export const VERIFY_USAGE = `Usage: vibe verify [--model <dir>] [--trace <bundle-relative path>] [--provider cpu|cuda]

Runs the bundle on the request recorded in its parity trace (with the trace's injected noise) and
reports per stage the cosine similarity and max abs error against the PyTorch reference, and the
PSNR of the final image, with pass/fail thresholds. Exit status 0 when every stage passes.`;

/** `vibe verify`: returns true when every compared stage is within its threshold. */
export async function runVerifyCommand(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<boolean> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      model: { type: 'string', short: 'm' },
      trace: { type: 'string' },
      provider: { type: 'string' },
    },
  });
  const outcome = await verifyBundle({
    bundleDir: resolveModelDir(values.model, env),
    provider: parseExecutionProvider(values.provider ?? 'cpu'),
    ...(values.trace === undefined ? {} : { tracePath: values.trace }),
  });
  process.stdout.write(`${formatParityReport(outcome.results)}\n`);
  if (outcome.skipped.length > 0) {
    process.stdout.write(
      `not compared (no such stage in this pipeline): ${outcome.skipped.join(', ')}\n`,
    );
  }
  return outcome.pass;
}
