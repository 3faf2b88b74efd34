import Foundation
import SPPrompt
import SPTuning

/// Reads a file named on the command line; a directory, device, FIFO, symlink loop or missing file
/// is an error saying so (``FileInput``), never Foundation's raw text.
func readUserFile(_ path: String, what: String) throws -> Data {
    try FileInput.read(URL(fileURLWithPath: path), what: what)
}
