// The Lambdas' log level lives with the registrar's in route53/logLevel.ts; this name stays for its callers.
export { logLevel } from "../route53/logLevel";
