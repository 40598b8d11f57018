/**
 * The promotion gate: deterministic rules an admin sets (beat the serving model by a margin on an
 * evaluation set, no regression on a fixed set, lineage within what the target engine may serve)
 * and the audited decision for one candidate, always made on a dev split, never on test; and the
 * once-only test report of a model ({@link dev.anvil.trainer.promote.TestReporter}).
 */
package dev.anvil.trainer.promote;
