/**
 * What the rbac module reads and how it says what is wrong: a source file (name and text), YAML
 * nodes that remember their {@code file:line:column}, the problems found there, and the exceptions
 * that report them, rooted at {@link dev.anvil.rbac.input.RbacException}. A leaf: every other
 * package of the module may use it, and it uses none of them.
 */
package dev.anvil.rbac.input;
