package dev.anvil.rpc;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Puts the subject of the client's certificate (mTLS) into the call's context as {@link
 * GrpcServer#CLIENT_CERTIFICATE}, for the audit; nothing without one.
 */
final class ClientCertificateInterceptor implements ServerInterceptor {
  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
    if (session == null) {
      return next.startCall(call, headers);
    }
    try {
      Certificate[] peer = session.getPeerCertificates();
      if (peer.length > 0 && peer[0] instanceof X509Certificate c) {
        Context ctx =
            Context.current()
                .withValue(GrpcServer.CLIENT_CERTIFICATE, c.getSubjectX500Principal().getName());
        return Contexts.interceptCall(ctx, call, headers, next);
      }
    } catch (SSLPeerUnverifiedException e) {
      // no client certificate: nothing to record
    }
    return next.startCall(call, headers);
  }
}
