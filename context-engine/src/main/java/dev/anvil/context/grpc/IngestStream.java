package dev.anvil.context.grpc;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.api.Document;
import dev.anvil.context.api.IngestOutcome;
import dev.anvil.context.grpc.v1.IngestRequest;
import dev.anvil.context.grpc.v1.IngestResult;
import dev.anvil.identity.Identity;
import dev.anvil.rpc.ConcurrencyLimit;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;

/**
 * One ingest stream: documents read one at a time, each when its caller's rate allows ({@link
 * IngestPacing}), held against the server-wide buffer, and written in batches of {@link #BATCH}
 * (the next document is read only once a batch is written). A failure ends the stream; what was
 * written stays written.
 */
final class IngestStream implements StreamObserver<IngestRequest> {
  /** Documents written together. */
  static final int BATCH = 16;

  private final Identity who;
  private final ServerCallStreamObserver<IngestResult> out;
  private final ContextEngine engine;
  private final Admission admission;
  private final IngestPacing pacing;
  private final CallAudit calls;
  private final List<Document> batch = new ArrayList<>();
  private int held; // what the batch holds of the server-wide buffer
  private boolean failed;

  /** Starts reading the stream; to be called from the service method, before it returns. */
  IngestStream(
      Identity who,
      ServerCallStreamObserver<IngestResult> out,
      ContextEngine engine,
      Admission admission,
      IngestPacing pacing,
      CallAudit calls) {
    this.who = who;
    this.out = out;
    this.engine = engine;
    this.admission = admission;
    this.pacing = pacing;
    this.calls = calls;
    out.disableAutoRequest();
    out.request(1);
  }

  @Override
  public void onNext(IngestRequest request) {
    if (failed) {
      return;
    }
    long bytes = request.getSerializedSize();
    try {
      held += pacing.hold(bytes);
    } catch (RuntimeException e) {
      failed = true;
      release();
      calls.fail(out, who, "ingest", "", List.of(request.getDocument().getId()), e);
      return;
    }
    batch.add(ProtoMapping.document(request.getDocument()));
    if (batch.size() >= BATCH) {
      flush();
    }
    if (!failed) {
      long wait = pacing.delayAfter(who.principal().subject(), bytes);
      if (wait == 0) {
        out.request(1);
      } else {
        pacing.later(wait, this::requestNext);
      }
    }
  }

  @Override
  public void onError(Throwable t) {
    failed = true; // the client went away: what was flushed is committed, the rest is dropped
    release();
  }

  @Override
  public void onCompleted() {
    if (!failed) {
      flush();
      if (!failed) {
        out.onCompleted();
      }
    }
  }

  private void flush() {
    if (batch.isEmpty()) {
      return;
    }
    try {
      if (Context.current().isCancelled()) {
        throw Status.CANCELLED.withDescription("the call was cancelled").asRuntimeException();
      }
      admission.rate(who.principal().subject());
      try (ConcurrencyLimit.Slot slot = admission.ingest()) {
        // Recorded by the engine: each write before it is made, each refusal after.
        List<IngestOutcome> outcomes =
            engine.ingest(who.principal(), List.copyOf(batch), calls.writes(who));
        outcomes.forEach(o -> out.onNext(ProtoMapping.result(o)));
      }
    } catch (RuntimeException e) {
      failed = true;
      calls.fail(out, who, "ingest", "", batch.stream().map(Document::id).toList(), e);
    } finally {
      release();
    }
  }

  private void release() {
    batch.clear();
    pacing.release(held);
    held = 0;
  }

  /** Asks for the next document (paced), unless the stream has ended meanwhile. */
  private void requestNext() {
    try {
      if (!out.isCancelled()) {
        out.request(1);
      }
    } catch (RuntimeException e) {
      // the call ended between the check and the request: nothing more to read
    }
  }
}
