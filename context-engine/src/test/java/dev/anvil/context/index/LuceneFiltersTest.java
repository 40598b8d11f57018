package dev.anvil.context.index;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.rbac.Action;
import dev.anvil.rbac.PolicySet;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.RandomPolicies;
import dev.anvil.rbac.TestSeed;
import dev.anvil.rbac.filter.Filter;
import dev.anvil.rbac.input.PolicySource;
import dev.anvil.rbac.schema.DocTags;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.lucene.analysis.standard.StandardAnalyzer;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.store.FSDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Lucene translation of compiled filters selects exactly the documents {@link Filter#matches}
 * admits, on a real index directory, for filters compiled from random policy sets and principals.
 */
@ExtendWith(TestSeed.class)
class LuceneFiltersTest {
  @TempDir Path tmp;

  @Test
  void luceneMatchesExactlyWhatTheFilterMatches() throws Exception {
    long base = TestSeed.RUN;
    int checked = 0;
    for (int round = 0; round < 40; round++) {
      long seed = base + round;
      RandomPolicies gen = new RandomPolicies(seed);
      PolicySet set =
          PolicySet.parse(
              new PolicySource("schema.yaml", gen.schemaYaml()),
              List.of(new PolicySource("policies.yaml", gen.policiesYaml())));
      List<DocTags> docs = new ArrayList<>();
      Path dir = Files.createDirectory(tmp.resolve("r" + round));
      try (FSDirectory fs = FSDirectory.open(dir);
          IndexWriter w = new IndexWriter(fs, new IndexWriterConfig(new StandardAnalyzer()))) {
        for (int i = 0; i < 80; i++) {
          DocTags tags = set.schema().validate(gen.doc());
          docs.add(tags);
          Document d = new Document();
          d.add(new StringField("n", Integer.toString(i), Field.Store.YES));
          IndexFields.addTags(d, tags);
          w.addDocument(d);
        }
        w.commit();
        try (DirectoryReader r = DirectoryReader.open(fs)) {
          IndexSearcher s = new IndexSearcher(r);
          for (int p = 0; p < 10; p++) {
            Principal principal = gen.principal();
            Filter f = set.compile(principal, Action.READ).filter();
            Set<Integer> lucene = new HashSet<>();
            for (ScoreDoc sd : s.search(LuceneFilters.toQuery(f), 1000).scoreDocs) {
              lucene.add(Integer.parseInt(s.storedFields().document(sd.doc).get("n")));
            }
            Set<Integer> expected = new HashSet<>();
            for (int i = 0; i < docs.size(); i++) {
              if (f.matches(docs.get(i))) {
                expected.add(i);
              }
            }
            assertThat(lucene)
                .as("seed %d (rerun with -Danvil.seed=%d), filter %s", seed, base, f)
                .isEqualTo(expected);
            checked++;
          }
        }
      }
    }
    assertThat(checked).isEqualTo(400);
  }
}
