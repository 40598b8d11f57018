/**
 * Who may see what: principals, actions, the versioned {@link dev.anvil.rbac.PolicySet} that
 * decides single requests and compiles itself into index filters, and the {@link
 * dev.anvil.rbac.PolicyStore} that swaps policy sets atomically.
 *
 * <p>Nothing here knows an index, a transport or a model: the compiled filter is a small AST in
 * {@link dev.anvil.rbac.filter} that each backend translates.
 */
package dev.anvil.rbac;
