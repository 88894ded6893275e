package io.usertcp.tcp.send;

/**
 * The sender's loss-recovery phase, as Linux names its congestion states: {@link #OPEN}
 * (TCP_CA_Open), {@link #FAST_RECOVERY} (TCP_CA_Recovery: RFC 5681 §3.2, RFC 6582, RFC 6675) and
 * {@link #RTO_RECOVERY} (TCP_CA_Loss: after a retransmission timeout, RFC 5681 §3.1).
 */
public enum RecoveryPhase {
    OPEN, FAST_RECOVERY, RTO_RECOVERY
}
