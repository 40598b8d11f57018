package dev.anvil.context.api;

/** What happened to one document on ingest (or to one {@link Change} of a stream). */
public sealed interface IngestOutcome {
  /** The document's id. */
  String id();

  /** Indexed (inserted or replaced) as {@code chunks} chunks. */
  record Indexed(String id, long version, int chunks) implements IngestOutcome {}

  /**
   * Not indexed: the index already holds this or a newer version (said only to a caller who may
   * read and replace the indexed one).
   */
  record Ignored(String id, long version, long indexedVersion) implements IngestOutcome {}

  /** Refused as invalid (bad fields or tags); {@code field} names what is wrong. */
  record Rejected(String id, String field, String reason) implements IngestOutcome {}

  /** Refused by policy: the caller may not ingest (or delete) a document with these tags. */
  record Denied(String id, String policy) implements IngestOutcome {}

  /**
   * Refused: the id is taken by a document the caller may not read, so may not replace. The same
   * whatever that document holds and whatever version was sent: the caller learns that the id is in
   * use, nothing else.
   */
  record Conflict(String id) implements IngestOutcome {}

  /** Deleted, or not in the index (a {@link Change.Delete} twice is harmless). */
  record Deleted(String id) implements IngestOutcome {}
}
