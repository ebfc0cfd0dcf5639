/// One role moved by promote, rollback or a locked fetch: from what, to what, why.
public struct RoleMove: Sendable, Equatable {
    public var kind: String
    public var name: String
    public var role: String
    public var from: String?
    public var to: String
    /// "fetch", "promote", "rollback", "locked".
    public var reason: String

    public init(kind: String, name: String, role: String, from: String?, to: String, reason: String) {
        self.kind = kind; self.name = name; self.role = role; self.from = from; self.to = to; self.reason = reason
    }

    /// Whether the role's value changed.
    public var moved: Bool { from != to }
}
