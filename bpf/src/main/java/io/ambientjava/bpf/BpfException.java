package io.ambientjava.bpf;

/** A BPF operation failed; the message names the operation, the object and the kernel's reason. */
public class BpfException extends RuntimeException {
    public BpfException(String message) {
        super(message);
    }

    public BpfException(String message, Throwable cause) {
        super(message, cause);
    }
}
