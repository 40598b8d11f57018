package dev.anvil.context.index;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.OptionalLong;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.FSDirectory;

/**
 * What an index directory's last commit holds, read with Lucene directly (a reader needs no lock,
 * so the engine may have it open): for tests that check what became durable, whoever may read it.
 */
public final class CommittedIndex {
  private CommittedIndex() {}

  /** The committed version of a document in {@code dir}, if it is there. */
  public static OptionalLong version(Path dir, String id) {
    try (FSDirectory d = FSDirectory.open(dir);
        DirectoryReader r = DirectoryReader.open(d)) {
      IndexSearcher s = new IndexSearcher(r);
      TopDocs top = s.search(new TermQuery(new Term(IndexFields.ID, id)), 1);
      if (top.scoreDocs.length == 0) {
        return OptionalLong.empty();
      }
      return OptionalLong.of(
          s.storedFields()
              .document(top.scoreDocs[0].doc)
              .getField(IndexFields.VERSION)
              .numericValue()
              .longValue());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
