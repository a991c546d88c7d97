package io.ambientjava.waypoint.telemetry;

import io.ambientjava.waypoint.telemetry.TelemetryExpression.ExpressionException;

/** A recursive-descent parser for {@link TelemetryExpression}; one instance per text. */
final class ExpressionParser {

    private final String text;
    private int pos;

    ExpressionParser(String text) {
        this.text = text == null ? "" : text;
    }

    TelemetryExpression parse() {
        if (text.isBlank()) {
            throw new ExpressionException(text, "empty");
        }
        TelemetryExpression e = or();
        skipSpaces();
        if (pos < text.length()) {
            throw fail("unexpected '" + text.substring(pos) + "'");
        }
        return e;
    }

    private TelemetryExpression or() {
        int start = pos;
        TelemetryExpression left = and();
        while (accept("||")) {
            TelemetryExpression right = and();
            left = new TelemetryExpression.Or(left, right, slice(start));
        }
        return left;
    }

    private TelemetryExpression and() {
        int start = pos;
        TelemetryExpression left = unary();
        while (accept("&&")) {
            TelemetryExpression right = unary();
            left = new TelemetryExpression.And(left, right, slice(start));
        }
        return left;
    }

    private TelemetryExpression unary() {
        int start = pos;
        skipSpaces();
        if (peek('!') && !peekAt(1, '=')) {
            pos++;
            return new TelemetryExpression.Not(unary(), slice(start));
        }
        return comparison();
    }

    private TelemetryExpression comparison() {
        int start = pos;
        TelemetryExpression left = term();
        for (String op : new String[] {"==", "!=", "<=", ">=", "<", ">"}) {
            if (accept(op)) {
                TelemetryExpression right = term();
                return new TelemetryExpression.Compare(op, left, right, slice(start));
            }
        }
        return left;
    }

    private TelemetryExpression term() {
        skipSpaces();
        int start = pos;
        if (pos >= text.length()) {
            throw fail("ends too early");
        }
        char c = text.charAt(pos);
        if (c == '(') {
            pos++;
            TelemetryExpression inner = or();
            if (!accept(")")) {
                throw fail("missing ')'");
            }
            return inner;
        }
        if (c == '\'' || c == '"') {
            return new TelemetryExpression.Literal(string(), slice(start));
        }
        if (Character.isDigit(c) || (c == '-' && pos + 1 < text.length() && Character.isDigit(text.charAt(pos + 1)))) {
            pos++;
            while (pos < text.length() && Character.isDigit(text.charAt(pos))) {
                pos++;
            }
            String digits = text.substring(start, pos);
            try {
                return new TelemetryExpression.Literal(Long.parseLong(digits), digits);
            } catch (NumberFormatException e) {
                throw fail("number out of range: " + digits);
            }
        }
        if (Character.isLetter(c) || c == '_') {
            String path = path();
            if (path.equals("true") || path.equals("false")) {
                return new TelemetryExpression.Literal(Boolean.parseBoolean(path), path);
            }
            skipSpaces();
            if (peek('(')) {
                throw fail("functions are not supported ('" + path + "(...)')");
            }
            if (peek('[')) {
                if (!path.equals("request.headers") && !path.equals("response.headers")) {
                    throw fail("only request.headers[...] and response.headers[...] can be indexed, not " + path);
                }
                pos++;
                skipSpaces();
                if (!peek('\'') && !peek('"')) {
                    throw fail("a header name must be a quoted string");
                }
                String name = string();
                if (!accept("]")) {
                    throw fail("missing ']'");
                }
                return new TelemetryExpression.Header(
                        path.startsWith("response"), TelemetryExpression.headerName(name), slice(start));
            }
            if (!TelemetryExpression.ATTRIBUTES.contains(path)) {
                throw fail("unknown attribute '" + path + "'");
            }
            return new TelemetryExpression.Attribute(path, path);
        }
        throw fail("unexpected '" + c + "'");
    }

    private String path() {
        int start = pos;
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (Character.isLetterOrDigit(c) || c == '_' || c == '.') {
                pos++;
            } else {
                break;
            }
        }
        return text.substring(start, pos);
    }

    private String string() {
        char quote = text.charAt(pos++);
        StringBuilder out = new StringBuilder();
        while (pos < text.length()) {
            char c = text.charAt(pos++);
            if (c == quote) {
                return out.toString();
            }
            if (c == '\\' && pos < text.length()) {
                c = text.charAt(pos++);
            }
            out.append(c);
        }
        throw fail("unterminated string");
    }

    private boolean accept(String token) {
        skipSpaces();
        if (text.startsWith(token, pos)) {
            pos += token.length();
            return true;
        }
        return false;
    }

    private boolean peek(char c) {
        return pos < text.length() && text.charAt(pos) == c;
    }

    private boolean peekAt(int offset, char c) {
        return pos + offset < text.length() && text.charAt(pos + offset) == c;
    }

    private void skipSpaces() {
        while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
            pos++;
        }
    }

    private String slice(int start) {
        return text.substring(start, pos).trim();
    }

    private ExpressionException fail(String problem) {
        return new ExpressionException(text, problem + " at position " + pos);
    }
}
