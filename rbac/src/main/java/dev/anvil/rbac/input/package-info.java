/**
 * What the rbac module reads and how it says what is wrong: a source file (name and text),
 * locations in it, the problems found there, and the exceptions that report them, rooted at {@link
 * dev.anvil.rbac.input.RbacException}. A leaf: every other package of the module may use it.
 */
package dev.anvil.rbac.input;
