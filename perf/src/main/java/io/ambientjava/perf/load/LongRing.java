package io.ambientjava.perf.load;

import java.util.NoSuchElementException;

/** A growable FIFO of primitive longs (the intended send times of requests still in flight), without boxing. */
final class LongRing {

    private long[] values;
    private int head;
    private int size;

    LongRing(int initialCapacity) {
        if (initialCapacity <= 0) {
            throw new IllegalArgumentException("ring capacity must be positive, was " + initialCapacity);
        }
        values = new long[initialCapacity];
    }

    void add(long value) {
        if (size == values.length) {
            grow();
        }
        values[(head + size) % values.length] = value;
        size++;
    }

    long poll() {
        if (size == 0) {
            throw new NoSuchElementException("ring is empty");
        }
        long value = values[head];
        head = (head + 1) % values.length;
        size--;
        return value;
    }

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    private void grow() {
        long[] bigger = new long[values.length * 2];
        for (int i = 0; i < size; i++) {
            bigger[i] = values[(head + i) % values.length];
        }
        values = bigger;
        head = 0;
    }
}
