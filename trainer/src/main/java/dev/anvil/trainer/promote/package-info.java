/**
 * The promotion gate: deterministic rules an admin sets (beat the serving model by a margin on an
 * evaluation set, no regression on a fixed set, lineage within what the target engine may serve)
 * and the audited decision for one candidate.
 */
package dev.anvil.trainer.promote;
