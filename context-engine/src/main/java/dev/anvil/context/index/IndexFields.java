package dev.anvil.context.index;

import dev.anvil.rbac.schema.DocTags;
import dev.anvil.rbac.schema.TagValue;
import java.util.List;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.IntField;
import org.apache.lucene.document.SortedSetDocValuesField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.util.BytesRef;

/**
 * Field names of the index, and how a document's tags become fields. One Lucene document per chunk;
 * every chunk carries all of its document's tags, so filters apply per chunk.
 */
public final class IndexFields {
  /** Document id (indexed, stored); every chunk of a document shares it. */
  public static final String ID = "id";

  /** Document version (stored). */
  public static final String VERSION = "version";

  /** Chunk number within the document (stored). */
  public static final String CHUNK = "chunk";

  /** Title (stored). */
  public static final String TITLE = "title";

  /** The chunk's text (stored). */
  public static final String BODY = "body";

  /** Tokens of the chunk text (stored), counted once at ingest for context packing. */
  public static final String TOKENS = "tokens";

  /** Source URI (stored). */
  public static final String SOURCE = "source";

  /** Title and chunk text, analysed for BM25. */
  public static final String TEXT = "text";

  /** The chunk's embedding (HNSW). */
  public static final String VECTOR = "vector";

  /** Names of the tags a document carries (for {@code has(tag)}). */
  public static final String PRESENT = "tag._present";

  private static final String TAG = "tag.";
  private static final String STORED_TAG = "stored.tag.";
  private static final String RANK = ".rank";

  private IndexFields() {}

  /** The keyword field of a tag. */
  public static String tag(String name) {
    return TAG + name;
  }

  /** The integer field holding the rank of an ordered tag's level. */
  public static String rank(String name) {
    return TAG + name + RANK;
  }

  /** Adds the indexed and stored fields of every tag to a chunk document. */
  static void addTags(Document doc, DocTags tags) {
    tags.values()
        .forEach(
            (name, value) -> {
              doc.add(new StringField(PRESENT, name, Field.Store.NO));
              List<String> values =
                  switch (value) {
                    case TagValue.Single s -> List.of(s.value());
                    case TagValue.Level l -> {
                      doc.add(new IntField(rank(name), l.rank(), Field.Store.NO));
                      yield List.of(l.name());
                    }
                    case TagValue.Members m -> List.copyOf(m.values());
                  };
              for (String v : values) {
                doc.add(new StringField(tag(name), v, Field.Store.NO));
                doc.add(new SortedSetDocValuesField(tag(name), new BytesRef(v)));
                doc.add(new StoredField(STORED_TAG + name, v));
              }
            });
  }

  /** Whether a stored field holds a tag value, and which tag. */
  static String storedTagName(String field) {
    return field.startsWith(STORED_TAG) ? field.substring(STORED_TAG.length()) : null;
  }
}
