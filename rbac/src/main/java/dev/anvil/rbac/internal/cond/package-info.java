/**
 * Policy conditions: the CEL expressions of policies translated into a small checked IR ({@link
 * dev.anvil.rbac.internal.cond.Expr}), evaluated fully for decisions ({@link
 * dev.anvil.rbac.internal.cond.Evaluator}) and partially, with only the principal known, into
 * filters ({@link dev.anvil.rbac.internal.cond.PartialEvaluator}).
 *
 * <p>Semantics follow CEL's: {@code &&}, {@code ||}, {@code exists} and {@code all} absorb errors
 * when the other operands decide the result. Reading a scalar tag a document lacks, or a principal
 * attribute it lacks, is an error; an absent set tag reads as the empty list.
 */
package dev.anvil.rbac.internal.cond;
