/// The spec templates used when a target names none (`spec` unset): only
/// what a stage needs beyond the keys cbuild manages itself.
public enum BuiltinSpecTemplates {
    public static func template(stage: Int) -> String {
        switch stage {
        case 1:
            return """
                # cbuild built-in stage1 template
                update_seed: yes
                update_seed_command: --update --deep --newuse @world

                """
        case 4:
            return """
                # cbuild built-in stage4 template
                stage4/empty: /var/cache/distfiles
                stage4/rm: /root/.bash_history

                """
        default:
            return "# cbuild built-in stage\(stage) template\n"
        }
    }

    public static func name(stage: Int) -> String { "built-in stage\(stage) template" }
}
