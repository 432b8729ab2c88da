import { Ajv, type ValidateFunction } from 'ajv';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './services.js';

/** The OpenAPI document of the pinned Kubernetes release, copied by scripts/install-tools.sh. */
export const SWAGGER = path.join(ROOT, 'tools', 'kubernetes', 'swagger.json');

interface Definition {
  properties?: Record<string, unknown>;
  additionalProperties?: unknown;
  'x-kubernetes-group-version-kind'?: Array<{ group: string; version: string; kind: string }>;
  [key: string]: unknown;
}

/**
 * Validates manifests offline against the Kubernetes OpenAPI definitions, strictly: a field the
 * API does not know is an error (what `kubectl --validate=strict` and kubeconform -strict do).
 */
export class KubeOpenApi {
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  private readonly kinds = new Map<string, string>();

  constructor(swaggerPath = SWAGGER) {
    const swagger = JSON.parse(readFileSync(swaggerPath, 'utf8')) as { definitions: Record<string, Definition> };
    for (const [name, definition] of Object.entries(swagger.definitions)) {
      if (definition.properties && definition.additionalProperties === undefined) definition.additionalProperties = false;
      for (const gvk of definition['x-kubernetes-group-version-kind'] ?? []) {
        this.kinds.set(`${gvk.group ? `${gvk.group}/` : ''}${gvk.version}/${gvk.kind}`, name);
      }
    }
    // Kubernetes accepts these as a number or a string; Swagger 2 can only say "string".
    swagger.definitions['io.k8s.apimachinery.pkg.util.intstr.IntOrString'] = { anyOf: [{ type: 'string' }, { type: 'integer' }] };
    swagger.definitions['io.k8s.apimachinery.pkg.api.resource.Quantity'] = { anyOf: [{ type: 'string' }, { type: 'number' }] };
    this.ajv.addSchema({ $id: 'k8s', definitions: swagger.definitions });
  }

  static available(): boolean {
    return existsSync(SWAGGER);
  }

  /** The errors of one manifest ("" when valid); undefined when the kind is not a built-in one. */
  validate(manifest: { apiVersion?: string; kind?: string }): string | undefined {
    const definition = this.kinds.get(`${manifest.apiVersion}/${manifest.kind}`);
    if (!definition) return undefined;
    let validator = this.validators.get(definition);
    if (!validator) {
      validator = this.ajv.compile({ $ref: `k8s#/definitions/${definition}` });
      this.validators.set(definition, validator);
    }
    if (validator(manifest)) return '';
    return (validator.errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message}${error.params && 'additionalProperty' in error.params ? ` '${String(error.params.additionalProperty)}'` : ''}`).join('; ');
  }
}
