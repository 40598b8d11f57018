/**
 * The tag schema: which tags every document carries, their types and allowed values, and the
 * validated {@link dev.anvil.rbac.schema.DocTags} that policies and filters evaluate.
 */
package dev.anvil.rbac.schema;
