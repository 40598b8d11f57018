package dev.anvil.context.api;

/**
 * What one page of a training corpus was: how many chunks it gave, and the policy version that
 * decided them (what the audit records, whatever version is in force by the time it writes).
 *
 * @param chunks chunks given to the caller
 * @param policyVersion the version of the policy set that decided them
 */
public record CorpusPage(int chunks, String policyVersion) {}
