/**
 * What a policy change would do before it is pushed: for each principal of a pack and each
 * role/group combination among them, the documents a proposed policy set newly exposes or newly
 * hides, counted by tag, with sample ids. {@link dev.anvil.rbac.diff.PolicyDiff} compiles both sets
 * into filters and asks an index ({@link dev.anvil.rbac.diff.DiffIndex}, implemented by each
 * backend) to count {@code new AND NOT old} and {@code old AND NOT new}; no document is decided one
 * by one.
 */
package dev.anvil.rbac.diff;
