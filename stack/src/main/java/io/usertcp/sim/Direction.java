package io.usertcp.sim;

/** Which way a packet travels between the two stacks of a {@link SimulatedNetwork}. */
public enum Direction {
    A_TO_B("A>B"),
    B_TO_A("B>A");

    private final String arrow;

    Direction(String arrow) {
        this.arrow = arrow;
    }

    /** {@code A>B} or {@code B>A}, for traces. */
    public String arrow() {
        return arrow;
    }
}
