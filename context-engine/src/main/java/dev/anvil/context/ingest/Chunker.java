package dev.anvil.context.ingest;

import java.text.BreakIterator;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToIntFunction;

/**
 * Splits a body into chunks that fit the embedding model with their title: whole sentences while
 * they fit, the last sentences of a chunk repeated at the start of the next (overlap), and a
 * sentence longer than a chunk split at word boundaries.
 */
public final class Chunker {
  private final ToIntFunction<String> tokens;
  private final int budget;
  private final int overlap;

  /**
   * @param tokens counts a text's tokens (the model's tokenizer)
   * @param budget most tokens of body text per chunk
   * @param overlap most tokens repeated from the previous chunk
   */
  public Chunker(ToIntFunction<String> tokens, int budget, int overlap) {
    if (budget < 8 || overlap < 0 || overlap >= budget) {
      throw new IllegalArgumentException(
          "need budget >= 8 and 0 <= overlap < budget, was " + budget + ", " + overlap);
    }
    this.tokens = tokens;
    this.budget = budget;
    this.overlap = overlap;
  }

  /**
   * What decides the chunks, as recorded with an index: a change of any of it means the index holds
   * chunks this chunker would not cut.
   */
  public String settings() {
    return "sentences-v1 budget=" + budget + " overlap=" + overlap;
  }

  /** The chunks of a body, in order; never empty for a non-blank body. */
  public List<String> chunk(String body) {
    List<String> units = new ArrayList<>();
    for (String sentence : sentences(body)) {
      if (tokens.applyAsInt(sentence) <= budget) {
        units.add(sentence);
      } else {
        units.addAll(splitLong(sentence));
      }
    }
    List<String> chunks = new ArrayList<>();
    List<String> current = new ArrayList<>();
    List<Integer> sizes = new ArrayList<>();
    int used = 0;
    for (String unit : units) {
      int size = tokens.applyAsInt(unit);
      if (used + size > budget && !current.isEmpty()) {
        chunks.add(String.join(" ", current));
        // Carry the trailing sentences that fit in the overlap into the next chunk.
        List<String> carry = new ArrayList<>();
        List<Integer> carrySizes = new ArrayList<>();
        int carried = 0;
        for (int i = current.size() - 1; i >= 0; i--) {
          if (carried + sizes.get(i) > overlap || carried + sizes.get(i) + size > budget) {
            break;
          }
          carried += sizes.get(i);
          carry.addFirst(current.get(i));
          carrySizes.addFirst(sizes.get(i));
        }
        current = carry;
        sizes = carrySizes;
        used = carried;
      }
      current.add(unit);
      sizes.add(size);
      used += size;
    }
    if (!current.isEmpty()) {
      chunks.add(String.join(" ", current));
    }
    return chunks;
  }

  private static List<String> sentences(String text) {
    BreakIterator it = BreakIterator.getSentenceInstance(Locale.ROOT);
    String normalized = text.replaceAll("\\s+", " ").strip();
    it.setText(normalized);
    List<String> out = new ArrayList<>();
    for (int start = it.first(), end = it.next();
        end != BreakIterator.DONE;
        start = end, end = it.next()) {
      String s = normalized.substring(start, end).strip();
      if (!s.isEmpty()) {
        out.add(s);
      }
    }
    return out;
  }

  /** A sentence longer than the budget, cut between words into pieces that fit. */
  private List<String> splitLong(String sentence) {
    List<String> out = new ArrayList<>();
    StringBuilder piece = new StringBuilder();
    for (String word : sentence.split(" ")) {
      String candidate = piece.isEmpty() ? word : piece + " " + word;
      if (!piece.isEmpty() && tokens.applyAsInt(candidate) > budget) {
        out.add(piece.toString());
        piece.setLength(0);
        piece.append(word);
      } else {
        piece.setLength(0);
        piece.append(candidate);
      }
    }
    if (!piece.isEmpty()) {
      out.add(piece.toString());
    }
    return out;
  }
}
