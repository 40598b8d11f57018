package dev.anvil.cli;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.api.ContextException;
import dev.anvil.context.api.Document;
import dev.anvil.context.index.LuceneIndex;
import dev.anvil.rbac.Principal;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntConsumer;
import java.util.stream.Stream;

/**
 * An index of one fixed corpus (a benchmark's), reused only when it is proven to be that corpus,
 * complete, embedded by the same model and cut by the same chunking.
 *
 * <p>The proof is a build record in the index's own commits: the corpus digest, its size, the model
 * and the chunking are committed before the first document, and {@code complete} only after the
 * last, in the same atomic commits as the documents. An interrupted build therefore resumes
 * (documents already committed are skipped by version), and anything else is rebuilt from scratch.
 */
final class CorpusIndex {
  static final int BATCH = 64;

  private static final String CORPUS = "build.corpus";
  private static final String DOCUMENTS = "build.documents";
  private static final String MODEL = "build.model";
  private static final String CHUNKING = "build.chunking";
  private static final String COMPLETE = "build.complete";

  private CorpusIndex() {}

  /** What was done with the index found, in words for the user. */
  sealed interface Plan {
    /** There was no index: it is built. */
    record Build() implements Plan {}

    /** The index was complete and matching: it is used as it is. */
    record Reuse() implements Plan {}

    /** The same build was interrupted: the documents not yet committed are added. */
    record Resume() implements Plan {}

    /** The index was of something else (or unproven): it is deleted and built again. */
    record Rebuild(String why) implements Plan {}
  }

  /** The sha-256 of the corpus as it is ingested: every field of every document, in order. */
  static String digest(List<Document> docs) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      for (Document d : docs) {
        for (String field :
            List.of(
                d.id(),
                Long.toString(d.version()),
                d.title(),
                d.body(),
                d.source(),
                new TreeMap<>(d.tags()).toString())) {
          md.update(field.getBytes(StandardCharsets.UTF_8));
          md.update((byte) 0);
        }
      }
      return "sha256:" + HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Decides, from the last commit of {@code dir}, what to do for this corpus, model and chunking;
   * deletes the index first when it must be rebuilt. Call before opening an engine on {@code dir}.
   *
   * @param ours whether {@code dir} is this command's own place: an index there without a build
   *     record is rebuilt; anywhere else (a directory the user named) it may be someone's real
   *     index, and is refused rather than deleted
   * @throws ContextException for an index without a build record in a directory not {@code ours}
   */
  static Plan prepare(
      Path dir, boolean ours, String corpusDigest, int documents, String model, String chunking) {
    if (!Files.isDirectory(dir) || isEmpty(dir)) {
      return new Plan.Build();
    }
    Map<String, String> record = LuceneIndex.lastCheckpoint(dir);
    String why = null;
    if (!record.containsKey(CORPUS)) {
      if (!ours) {
        throw new ContextException(
            dir
                + " holds an index that no corpus build made (no build record): not deleting it;"
                + " name an empty or new --index directory");
      }
      why = "it holds no build record (made by an older version)";
    } else if (!record.get(CORPUS).equals(corpusDigest)) {
      why = "the corpus changed (" + record.get(CORPUS) + " -> " + corpusDigest + ")";
    } else if (!Integer.toString(documents).equals(record.get(DOCUMENTS))) {
      why = "it was built for " + record.get(DOCUMENTS) + " documents, not " + documents;
    } else if (!model.equals(record.get(MODEL))) {
      why = "it was embedded by " + record.get(MODEL) + ", not " + model;
    } else if (!chunking.equals(record.get(CHUNKING))) {
      why = "its chunks were cut with '" + record.get(CHUNKING) + "', not '" + chunking + "'";
    }
    if (why != null) {
      deleteRecursively(dir);
      return new Plan.Rebuild(why);
    }
    return "true".equals(record.get(COMPLETE)) ? new Plan.Reuse() : new Plan.Resume();
  }

  /**
   * Brings the index to the whole corpus as {@code writer} (nothing to do for {@link Plan.Reuse}):
   * the build record first, the documents in committed batches, then {@code complete}.
   *
   * @param progress told the number of documents done after each batch
   */
  static void build(
      ContextEngine engine,
      Principal writer,
      List<Document> docs,
      String corpusDigest,
      IntConsumer progress) {
    engine.commit(
        Map.of(
            CORPUS, corpusDigest,
            DOCUMENTS, Integer.toString(docs.size()),
            MODEL, engine.modelId(),
            CHUNKING, engine.chunking(),
            COMPLETE, "false"));
    for (int i = 0; i < docs.size(); i += BATCH) {
      // A document committed by an interrupted run has this version already: ignored, not
      // embedded again.
      engine.ingest(writer, docs.subList(i, Math.min(docs.size(), i + BATCH)));
      progress.accept(Math.min(docs.size(), i + BATCH));
    }
    engine.mergeSegments(); // searched as the engine serves it after a bulk load: one segment
    engine.commit(Map.of(COMPLETE, "true"));
  }

  private static boolean isEmpty(Path dir) {
    try (Stream<Path> s = Files.list(dir)) {
      return s.findAny().isEmpty();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void deleteRecursively(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + dir, e);
    }
  }
}
