package dev.anvil.context.index.elastic;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;

/**
 * Text as the embedded index analyses it (Lucene's English analyser: standard tokens, possessives,
 * lower case, stop words, Porter stems), for a cluster field analysed by whitespace only. The same
 * terms with the same counts make the same BM25 statistics; and the cluster needs no analysis
 * plugin (a minimal node has none). Thread-safe.
 */
final class TermAnalysis {
  private static final Analyzer ENGLISH = new EnglishAnalyzer();

  private TermAnalysis() {}

  /** The terms of {@code text}, in order, as one string separated by spaces. */
  static String terms(String text) {
    return String.join(" ", termList(text));
  }

  /** The terms of {@code text}, in order. */
  static List<String> termList(String text) {
    List<String> out = new ArrayList<>();
    try (TokenStream ts = ENGLISH.tokenStream("text", text)) {
      CharTermAttribute term = ts.addAttribute(CharTermAttribute.class);
      ts.reset();
      while (ts.incrementToken()) {
        out.add(term.toString());
      }
      ts.end();
    } catch (IOException e) {
      throw new UncheckedIOException("analysing text failed", e);
    }
    return out;
  }
}
