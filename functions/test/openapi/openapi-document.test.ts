import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { EDIT_LIMITS } from '#core/edit-parameters.ts';
import type { ErrorCode } from '#core/errors.ts';
import { resolveApiConfig } from '#functions/api/api-config.ts';
import { API_ROUTES } from '#functions/api/create-api-app.ts';
import { jsonEditRequestSchema } from '#functions/api/edit-request-schema.ts';
import { HTTP_ERRORS } from '#functions/api/http-errors.ts';
import { ERROR_CODES, ERROR_DESCRIPTIONS } from '#functions/openapi/error-catalog.ts';
import { buildOpenApiDocument } from '#functions/openapi/openapi-document.ts';
import { ROUTE_DOCS } from '#functions/openapi/route-docs.ts';
import { openApiFileIsCurrent } from '#functions/openapi/write-openapi.ts';

// biome-ignore lint/suspicious/noExplicitAny: the document is plain JSON, checked path by path
type Json = Record<string, any>;

const METHODS = ['get', 'post', 'put', 'delete', 'patch'];
const doc = buildOpenApiDocument() as Json;

/** `METHOD /path` (router spelling) of every operation in the document. */
function documentedOperations(document: Json): string[] {
  const out: string[] = [];
  for (const [path, item] of Object.entries(document.paths as Json)) {
    for (const method of Object.keys(item).filter((key) => METHODS.includes(key))) {
      out.push(`${method.toUpperCase()} ${path.replace(/\{([A-Za-z]+)\}/g, ':$1')}`);
    }
  }
  return out.sort();
}

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document for the standard validator', async () => {
    const validator = new Validator();

    const result = await validator.validate(structuredClone(doc));

    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('fails the same validator when it is broken (the check can fail)', async () => {
    const broken = structuredClone(doc);
    broken.paths['/v1/edits'].post.responses = 'none';
    delete broken.info;

    const result = await new Validator().validate(broken);

    expect(result.valid).toBe(false);
  });

  it('documents every route the router knows, with its access rule, and no other', () => {
    const routed = API_ROUTES.map(({ method, path }) => `${method} ${path}`).sort();

    expect(documentedOperations(doc)).toEqual(routed);
    expect(Object.keys(ROUTE_DOCS).sort()).toEqual(routed);
    for (const route of API_ROUTES) {
      expect({
        route: `${route.method} ${route.path}`,
        access: ROUTE_DOCS[`${route.method} ${route.path}`]?.access,
      }).toEqual({
        route: `${route.method} ${route.path}`,
        access: route.access,
      });
    }
  });

  it('describes the request bodies with the schemas that validate them', () => {
    const editRequest = doc.components.schemas.EditRequest;

    expect(Object.keys(editRequest.properties).sort()).toEqual(
      Object.keys(jsonEditRequestSchema.shape).sort(),
    );
    expect(editRequest.required).toEqual(['image', 'instruction']);
    expect(editRequest.additionalProperties).toBe(false);
    expect(editRequest.properties.steps).toMatchObject({
      type: 'integer',
      minimum: EDIT_LIMITS.steps.min,
      maximum: EDIT_LIMITS.steps.max,
    });
    expect(editRequest.properties.guidanceScale).toMatchObject({ type: 'number', maximum: 20 });
    expect(editRequest.properties.output.properties.format.enum).toEqual(['png', 'jpeg', 'webp']);
    expect(doc.paths['/v1/edits'].post.requestBody.content).toMatchObject({
      'application/json': { schema: { $ref: '#/components/schemas/EditRequest' } },
      'multipart/form-data': { schema: { $ref: '#/components/schemas/EditForm' } },
    });
    expect(doc.components.schemas.EditForm.required).toEqual(['image', 'instruction']);
    expect(Object.keys(doc.components.schemas.EditForm.properties)).toContain('output.quality');
  });

  it('lists every error code with its status, and answers each route’s codes under their status', () => {
    const errorSchema = doc.components.schemas.Error.properties.error.properties.code;
    const post = doc.paths['/v1/edits'].post.responses;
    const description = doc.info.description as string;

    expect([...errorSchema.enum].sort()).toEqual([...ERROR_CODES].sort());
    for (const code of ERROR_CODES) {
      expect(ERROR_DESCRIPTIONS[code], code).toEqual(expect.any(String));
      expect(description).toContain(`| \`${code}\` | ${HTTP_ERRORS[code].status} |`);
    }
    expect(post['415'].description).toBe(
      'Error: `UNSUPPORTED_MEDIA_TYPE`, `UNSUPPORTED_IMAGE_FORMAT`.',
    );
    expect(post['401'].description).toBe('Error: `UNAUTHENTICATED`.');
    expect(post['429'].headers['Retry-After']).toEqual({
      $ref: '#/components/headers/Retry-After',
    });
    expect(post['409'].description).toContain('`IDEMPOTENCY_KEY_REUSED`');
    for (const [code, { status }] of Object.entries(HTTP_ERRORS) as [
      ErrorCode,
      { status: number },
    ][]) {
      if (!ERROR_CODES.includes(code)) expect(status).toBe(500);
    }
  });

  it('declares Bearer auth, public routes without it, and the Idempotency-Key and Prefer headers', () => {
    const parameters = (op: Json) => (op.parameters as Json[]).map((p) => p.$ref ?? p.name);

    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({
      type: 'http',
      scheme: 'bearer',
    });
    expect(doc.security).toEqual([{ bearerAuth: [] }]);
    expect(doc.paths['/healthz'].get.security).toEqual([]);
    expect(doc.paths['/playground'].get.security).toEqual([]);
    expect(doc.paths['/v1/edits/{id}'].get.security).toBeUndefined();
    expect(parameters(doc.paths['/v1/edits'].post)).toEqual([
      '#/components/parameters/IdempotencyKey',
      '#/components/parameters/Prefer',
    ]);
    expect(parameters(doc.paths['/v1/batches'].post)).toEqual([
      '#/components/parameters/IdempotencyKey',
    ]);
    expect(parameters(doc.paths['/v1/edits/{id}'].get)).toEqual([
      'id',
      '#/components/parameters/Prefer',
    ]);
  });

  it('states the configured limits', () => {
    const small = buildOpenApiDocument(
      resolveApiConfig({ limits: { maxImageBytes: 1_000_000 } }),
    ) as Json;

    expect(small.components.schemas.UploadRequest.properties.contentLength.maximum).toBe(1_000_000);
    expect(small.info.description).toContain('uploaded or fetched image 1000000 bytes');
  });

  it('is committed as docs/openapi.json, up to date', async () => {
    // To refresh: node --import tsx functions/src/openapi/write-openapi.ts
    expect(await openApiFileIsCurrent()).toBe(true);
  });
});
