/**
 * Internals of the rbac module: YAML reading with locations, the CEL-to-condition translation, the
 * evaluators and the filter compiler. Not an API: anything here may change without notice.
 */
package dev.anvil.rbac.internal;
