// The identity of caikit-nlp's PeftPromptTuning module (peft_prompt_tuning.py `@module(...)`), which
// saved prompts carry in config.yml so that caikit recognises them.

/// Constants of caikit-nlp's `PeftPromptTuning` module.
public enum CaikitModule {
    /// `module_id`.
    public static let moduleID = "6655831b-960a-4dc5-8df4-867026e2cd41"
    /// `module_class` (`f"{cls.__module__}.{cls.__qualname__}"`).
    public static let moduleClass = "caikit_nlp.modules.text_generation.peft_prompt_tuning.PeftPromptTuning"
    /// `name`.
    public static let name = "Peft generation"
    /// `version`.
    public static let version = "0.1.0"
    /// caikit's `training_logs.jsonl` file name (`TRAINING_LOSS_LOG_FILENAME`).
    public static let trainingLogFileName = "training_logs.jsonl"
    /// caikit's `_DETECT_DEVICE`.
    public static let detectDevice = "__DETECT__"
}
