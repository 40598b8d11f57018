package dev.anvil.cli;

import dev.anvil.context.grpc.v1.Chunk;
import dev.anvil.context.grpc.v1.TagValues;
import java.io.PrintWriter;
import java.util.List;

/** How search results are printed. */
final class Output {
  private Output() {}

  static void chunks(PrintWriter out, List<Chunk> chunks) {
    if (chunks.isEmpty()) {
      out.println("   (nothing you may see matches)");
    }
    int n = 1;
    for (Chunk c : chunks) {
      out.printf(
          "%2d. %-24s %-14s %-28s by %s%n",
          n++,
          c.getDocumentId() + (c.getChunk() > 0 ? "#" + c.getChunk() : ""),
          tag(c, "classification"),
          tag(c, "department"),
          String.join(", ", c.getPoliciesList()));
      out.printf("    %s: %s%n", c.getTitle(), abbreviate(c.getText(), 110));
    }
  }

  private static String tag(Chunk c, String name) {
    TagValues v = c.getTagsMap().get(name);
    return v == null ? "-" : String.join(",", v.getValuesList());
  }

  static String abbreviate(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max - 1) + "…";
  }
}
