package io.ambientjava.hbone.testsupport;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.SplittableRandom;
import java.util.zip.CRC32;

/** Pseudo-random payloads with their CRC32, written and read in chunks. */
public final class Payload {

    /** Bytes and CRC32 of what went through a stream. */
    public record Digest(long bytes, long crc32) {}

    private Payload() {}

    /** Writes {@code total} pseudo-random bytes (seeded) and returns their digest. */
    public static Digest write(OutputStream out, long total, long seed, int chunk) throws IOException {
        SplittableRandom random = new SplittableRandom(seed);
        byte[] buf = new byte[chunk];
        CRC32 crc = new CRC32();
        long left = total;
        while (left > 0) {
            int n = (int) Math.min(chunk, left);
            random.nextBytes(buf);
            crc.update(buf, 0, n);
            out.write(buf, 0, n);
            left -= n;
        }
        out.flush();
        return new Digest(total, crc.getValue());
    }

    /** Reads to EOF and returns the digest of what was read. */
    public static Digest readToEof(InputStream in, int chunk) throws IOException {
        byte[] buf = new byte[chunk];
        CRC32 crc = new CRC32();
        long total = 0;
        int n;
        while ((n = in.read(buf)) >= 0) {
            crc.update(buf, 0, n);
            total += n;
        }
        return new Digest(total, crc.getValue());
    }
}
