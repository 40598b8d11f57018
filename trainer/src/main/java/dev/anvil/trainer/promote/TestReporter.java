package dev.anvil.trainer.promote;

import ai.djl.Device;
import dev.anvil.eval.BeirDataset;
import dev.anvil.eval.Splits;
import dev.anvil.modelcard.TestReport;
import dev.anvil.trainer.model.EncoderModel;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.HexFormat;

/**
 * A model's numbers on the test split of a BEIR folder, measured once per model and recorded in its
 * card ({@link TestReport#once}); every later ask answers with the recorded numbers and measures
 * nothing, so no one can try model after model against test. Scored as the gate scores ({@link
 * RetrievalScores}, CPU, exact search), so the report and the gate's dev numbers compare.
 *
 * <p>Thread-safe; two asks for the same model at once are told apart by {@link TestReport#once}.
 */
public final class TestReporter {
  private final Clock clock;

  /** A reporter that stamps reports with {@code clock}'s time. */
  public TestReporter(Clock clock) {
    this.clock = clock;
  }

  /**
   * The test report of the model in {@code modelDir} on {@code beirDir}'s {@code qrels/test.tsv}:
   * measured now if the model has none, else the recorded one (whatever folder it was measured on).
   *
   * @param by who asks (a subject, or {@code operator}), recorded with a new report
   * @throws dev.anvil.modelcard.ModelCardException if the model has no card, or another report of
   *     it is being measured
   * @throws dev.anvil.eval.BeirDataException if the folder has no test split
   */
  public TestReport.Outcome report(Path modelDir, Path beirDir, String by) {
    return TestReport.once(
        modelDir,
        () -> {
          BeirDataset test = BeirDataset.load(beirDir, Splits.TEST);
          try (EncoderModel model =
              EncoderModel.load(modelDir, Device.cpu(), PromotionGate.MAX_TOKENS)) {
            return new TestReport(
                beirDir.toAbsolutePath().normalize().toString(),
                Splits.TEST,
                sha256(beirDir.resolve("qrels").resolve(Splits.TEST + ".tsv")),
                test.queries().size(),
                RetrievalScores.of(model, test),
                by,
                clock.instant());
          }
        });
  }

  private static String sha256(Path file) {
    try (DigestInputStream in =
        new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
      in.transferTo(OutputStream.nullOutputStream());
      return HexFormat.of().formatHex(in.getMessageDigest().digest());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }
}
