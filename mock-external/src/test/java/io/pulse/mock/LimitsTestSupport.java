package io.pulse.mock;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.concurrent.locks.LockSupport;

/** What the tests of mock-external's bounds share: the read timeout and a raw HTTP/1.1 client. */
final class LimitsTestSupport {
    /**
     * The read timeout every test server asks for. It is per JVM (the first server started sets it), so all
     * tests of this module use the same value; tests that depend on it read the value in effect.
     */
    static final int READ_TIMEOUT_S = 1;

    private LimitsTestSupport() {
    }

    /** Polls the condition until it holds or the deadline passes; true when it held. */
    static boolean awaitTrue(Duration deadline, BooleanSupplier condition) {
        long end = System.nanoTime() + deadline.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                return false;
            }
            LockSupport.parkNanos(Duration.ofMillis(5).toNanos());
        }
        return true;
    }

    /** A response as a raw client sees it. */
    record RawResponse(int status, Map<String, String> headers, String body) {}

    /** A socket speaking HTTP/1.1 by hand, for what a well-behaved client never does. */
    static final class RawClient implements AutoCloseable {
        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;

        /** Every read gives up after {@code readDeadline}. */
        RawClient(int port, Duration readDeadline) throws IOException {
            socket = new Socket("127.0.0.1", port);
            socket.setSoTimeout((int) readDeadline.toMillis());
            in = socket.getInputStream();
            out = socket.getOutputStream();
        }

        RawClient send(String ascii) throws IOException {
            return send(ascii.getBytes(StandardCharsets.ISO_8859_1));
        }

        RawClient send(byte[] bytes) throws IOException {
            out.write(bytes);
            out.flush();
            return this;
        }

        /** The next response (status line, headers, a Content-Length body); fails at the read deadline. */
        RawResponse readResponse() throws IOException {
            String statusLine = readLine();
            int status = Integer.parseInt(statusLine.split(" ")[1]);
            Map<String, String> headers = new LinkedHashMap<>();
            for (String line = readLine(); !line.isEmpty(); line = readLine()) {
                int colon = line.indexOf(':');
                headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
            }
            int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
            byte[] body = in.readNBytes(length);
            return new RawResponse(status, headers, new String(body, StandardCharsets.UTF_8));
        }

        /**
         * Blocks until the server closes the connection and returns what it sent before;
         * throws SocketTimeoutException when it is still open at the read deadline.
         */
        byte[] readUntilClosedByServer() throws IOException {
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            byte[] buffer = new byte[1024];
            try {
                for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                    received.write(buffer, 0, n);
                }
            } catch (SocketTimeoutException e) {
                throw e;
            } catch (SocketException e) {
                // reset by the server: closed as well
            }
            return received.toByteArray();
        }

        private String readLine() throws IOException {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            for (int b = in.read(); b != '\n'; b = in.read()) {
                if (b < 0) {
                    throw new IOException("connection closed by the server in the middle of a response");
                }
                if (b != '\r') {
                    line.write(b);
                }
            }
            return line.toString(StandardCharsets.ISO_8859_1);
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
