// Validates Kubernetes objects against the API's JSON schemas, as shipped by the kubernetes-models
// packages (the Kubernetes OpenAPI schemas; the Prometheus Operator's CRD schemas for ServiceMonitor).
//
//   node validate.mjs MANIFESTS.json
//
// MANIFESTS.json holds a JSON array of objects (HelmChartTest writes one per rendered value set).
// Prints one JSON line per object: {"kind", "name", "valid", "errors": [...]}; exits 1 when any object
// is invalid or has no schema here (never skipped), 2 on bad usage.
import { readFileSync } from "node:fs";

// apiVersion -> module holding its models; kinds without a schema here fail.
const MODULES = {
  "monitoring.coreos.com/v1": "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1",
};
const NOT_FOUND = new Set(["ERR_MODULE_NOT_FOUND", "ERR_PACKAGE_PATH_NOT_EXPORTED"]);
const moduleFor = (apiVersion) => MODULES[apiVersion] ?? `kubernetes-models/${apiVersion}`;

if (process.argv.length !== 3) {
  console.error("usage: node validate.mjs MANIFESTS.json");
  process.exit(2);
}
const objects = JSON.parse(readFileSync(process.argv[2], "utf8"));
if (!Array.isArray(objects) || objects.length === 0) {
  console.error(`${process.argv[2]}: expected a non-empty JSON array of Kubernetes objects`);
  process.exit(2);
}

let invalid = 0;
for (const object of objects) {
  const kind = object?.kind ?? "(no kind)";
  const name = object?.metadata?.name ?? "(no name)";
  let errors = [];
  try {
    const models = await import(moduleFor(object.apiVersion));
    const Model = models[kind];
    if (typeof Model !== "function") {
      throw new Error(`no schema for ${object.apiVersion} ${kind}`);
    }
    new Model(object).validate();
  } catch (e) {
    errors = Array.isArray(e.errors)
      ? e.errors.map((d) => `${d.instancePath || "/"} ${d.message}`)
      : [NOT_FOUND.has(e.code) ? `no schema for apiVersion ${object?.apiVersion}` : e.message];
  }
  if (errors.length > 0) invalid++;
  console.log(JSON.stringify({ kind, name, valid: errors.length === 0, errors }));
}
process.exit(invalid > 0 ? 1 : 0);
