/**
 * Policy tests, like {@code opa test}: YAML cases of principal, action, document tags and the
 * expected decision, run against a policy set before it is applied.
 */
package dev.anvil.rbac.policytest;
