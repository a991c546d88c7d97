package io.ambientjava.bpf;

/** What {@link EbpfRedirection#install} found under its pin root and did. */
public enum InstallOutcome {
    /** Nothing usable was pinned: loaded and pinned afresh. */
    INSTALLED,
    /** The pinned programs are this version's: taken over as they are. */
    REUSED,
    /** Older programs were pinned: replaced in place, keeping the maps and so every enrolled pod. */
    UPGRADED
}
