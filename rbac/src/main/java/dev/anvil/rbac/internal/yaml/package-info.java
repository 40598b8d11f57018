/** YAML reading that keeps {@code file:line:column} for every value, for precise errors. */
package dev.anvil.rbac.internal.yaml;
