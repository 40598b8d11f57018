/**
 * What security admins ask of a running engine, each call allowed only to principals the policies
 * in force permit {@code admin}: {@link dev.anvil.context.admin.PolicyReview} diffs a proposed
 * policy set against the one in force over the engine's own index.
 */
package dev.anvil.context.admin;
