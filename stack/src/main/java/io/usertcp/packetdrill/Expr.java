package io.usertcp.packetdrill;

import java.util.List;
import java.util.stream.Collectors;

/** An argument or result of a scripted system call, as written. */
public sealed interface Expr {

    /** The expression as a script would write it. */
    String format();

    /** {@code ...}: "whatever the call needs" (an address, a buffer). */
    record Ellipsis() implements Expr {
        public String format() {
            return "...";
        }
    }

    /** A number: decimal, negative or hexadecimal ({@code 0x02}). */
    record Int(long value) implements Expr {
        public String format() {
            return Long.toString(value);
        }
    }

    /** A symbolic name: {@code SOL_SOCKET}, {@code O_NONBLOCK}, {@code ECONNRESET}. */
    record Symbol(String name) implements Expr {
        public String format() {
            return name;
        }
    }

    record Str(String value) implements Expr {
        public String format() {
            return '"' + value + '"';
        }
    }

    /** {@code [65536]}: a value passed by pointer (an option value, a length). */
    record Array(List<Expr> elements) implements Expr {
        public Array {
            elements = List.copyOf(elements);
        }

        public String format() {
            return elements.stream().map(Expr::format).collect(Collectors.joining(", ", "[", "]"));
        }
    }

    /** {@code O_RDWR | O_NONBLOCK}. */
    record Or(List<Expr> terms) implements Expr {
        public Or {
            terms = List.copyOf(terms);
        }

        public String format() {
            return terms.stream().map(Expr::format).collect(Collectors.joining(" | "));
        }
    }

    /** {@code {onoff=1, linger=0}}: a struct; fields without a name get the empty name. */
    record Struct(List<Field> fields) implements Expr {
        public Struct {
            fields = List.copyOf(fields);
        }

        public String format() {
            return fields.stream().map(f -> f.name().isEmpty() ? f.value().format() : f.name() + "=" + f.value().format())
                    .collect(Collectors.joining(", ", "{", "}"));
        }

        /** The value of the field called {@code name}, or null. */
        public Expr field(String name) {
            for (Field f : fields) {
                if (f.name().equals(name)) {
                    return f.value();
                }
            }
            return null;
        }
    }

    record Field(String name, Expr value) {}

    /** {@code htons(8080)}, {@code inet_addr("198.18.0.1")}. */
    record Call(String function, List<Expr> args) implements Expr {
        public Call {
            args = List.copyOf(args);
        }

        public String format() {
            return function + args.stream().map(Expr::format).collect(Collectors.joining(", ", "(", ")"));
        }
    }
}
