/**
 * The backend-neutral filter that a policy set compiles into for one principal and action: a small
 * sealed AST over document tags. Index backends translate it into their own queries; {@link
 * dev.anvil.rbac.filter.Filter#matches} is the reference semantics they must agree with.
 */
package dev.anvil.rbac.filter;
