/// Finds a cycle in a small directed graph, deterministically: nodes are
/// visited in the order given, edges in list order, and the first cycle met
/// is returned in full, its first node repeated at the end (`a -> b -> a`).
enum CycleFinder {
    static func firstCycle(nodes: [String], edges: (String) -> [String]) -> [String]? {
        var state: [String: Bool] = [:]   // false: on the stack, true: done
        var stack: [String] = []

        func visit(_ node: String) -> [String]? {
            state[node] = false
            stack.append(node)
            for next in edges(node) {
                switch state[next] {
                case false?:
                    let start = stack.lastIndex(of: next)!
                    return Array(stack[start...]) + [next]
                case nil:
                    if let cycle = visit(next) { return cycle }
                case true?:
                    break
                }
            }
            stack.removeLast()
            state[node] = true
            return nil
        }

        for node in nodes where state[node] == nil {
            if let cycle = visit(node) { return cycle }
        }
        return nil
    }
}
