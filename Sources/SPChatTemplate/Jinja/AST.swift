import Foundation

extension Jinja {
    /// A constant written in the template.
    enum Literal: Sendable {
        case none, bool(Bool), int(Int), float(Double), string(String)
    }

    /// An expression and the template line it starts on (for error messages).
    struct Expr: Sendable {
        var kind: ExprKind
        var line: Int
    }

    indirect enum ExprKind: Sendable {
        case literal(Literal)
        case name(String)
        case list([Expr])
        case tuple([Expr])
        case dict([(Expr, Expr)])
        case attribute(Expr, String)  // a.b
        case item(Expr, Expr)  // a[b]
        case slice(Expr, Expr?, Expr?, Expr?)  // a[lo:hi:step]
        case call(Expr, Arguments)
        case filter(Expr, FilterCall)  // a | name(args)
        case test(Expr, FilterCall, negated: Bool)  // a is [not] name(args)
        case unary(String, Expr)  // -, +, not
        case binary(String, Expr, Expr)  // + - * / // % ** ~
        case and(Expr, Expr)
        case or(Expr, Expr)
        case compare(Expr, [(String, Expr)])  // a < b <= c, in, notin
        case condition(Expr, then: Expr, otherwise: Expr?)  // then if test else otherwise
    }

    /// Call arguments: `f(a, b, key=c, *rest, **more)`.
    struct Arguments: Sendable {
        var positional: [Expr] = []
        var keywords: [(String, Expr)] = []
        var star: Expr?
        var starStar: Expr?
    }

    /// A filter or test by name, with its arguments.
    struct FilterCall: Sendable {
        var name: String
        var arguments: Arguments
        var line: Int
    }

    /// The left side of `set`, `for` and `with`.
    indirect enum Target: Sendable {
        case name(String)
        case tuple([Target])
        case namespace(String, String)  // ns.attr
    }

    struct ForLoop: Sendable {
        var target: Target
        var iterable: Expr
        var filter: Expr?
        var body: [Stmt]
        var otherwise: [Stmt]
        var line: Int
    }

    struct MacroDefinition: Sendable {
        var name: String
        var parameters: [(String, Expr?)]
        var body: [Stmt]
        var line: Int
        var catchesVarargs: Bool
        var catchesKwargs: Bool
    }

    indirect enum Stmt: Sendable {
        case text(String)
        case output(Expr)  // {{ expr }}
        case branches([(Expr, [Stmt])], otherwise: [Stmt])  // if / elif / else
        case forLoop(ForLoop)
        case set(Target, Expr, line: Int)
        case setBlock(Target, [FilterCall], [Stmt], line: Int)  // {% set x %}…{% endset %}
        case macro(MacroDefinition)
        case filterBlock([FilterCall], [Stmt])
        case scoped([(Target, Expr)], [Stmt], line: Int)  // {% with %}, {% generation %}
        case loopControl(isBreak: Bool)
    }

    /// jinja2 3.1's built-in filters, plus transformers' `tojson`; any other name fails when the
    /// template is compiled, as in jinja2.
    static let filterNames: Set<String> = [
        "abs", "attr", "batch", "capitalize", "center", "count", "d", "default", "dictsort", "e", "escape",
        "filesizeformat", "first", "float", "forceescape", "format", "groupby", "indent", "int", "items", "join",
        "last", "length", "list", "lower", "map", "max", "min", "pprint", "random", "reject", "rejectattr",
        "replace", "reverse", "round", "safe", "select", "selectattr", "slice", "sort", "string", "striptags", "sum",
        "title", "tojson", "trim", "truncate", "unique", "upper", "urlencode", "urlize", "wordcount", "wordwrap",
        "xmlattr",
    ]

    /// jinja2 3.1's built-in tests.
    static let testNames: Set<String> = [
        "odd", "even", "divisibleby", "defined", "undefined", "filter", "test", "none", "boolean", "false", "true",
        "integer", "float", "lower", "upper", "string", "mapping", "number", "sequence", "iterable", "callable",
        "sameas", "escaped", "in", "==", "eq", "equalto", "!=", "ne", ">", "gt", "greaterthan", "ge", ">=", "<", "lt",
        "lessthan", "<=", "le",
    ]
}
