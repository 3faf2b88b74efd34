// The training step of seq2seq prompt tuning: loss of a padded batch given as encoder and decoder
// inputs_embeds, and the gradient with respect to both. No weight gradient is ever computed.

import SPTensor

extension Seq2SeqModel {
    /// Mean cross-entropy of the decoder's predictions at labeled positions and, when asked,
    /// dLoss/d(encoder inputs_embeds)·`scale` and dLoss/d(decoder inputs_embeds)·`scale`.
    ///
    /// - Parameters:
    ///   - encoderEmbeds: `[B, S, C]` encoder inputs (soft prompt rows included).
    ///   - encoderMask: `[B, S]` attention mask (1 real, 0 padding).
    ///   - decoderEmbeds: `[B, T, C]` decoder inputs (usually the embeddings of ``shiftRight(_:batch:)``
    ///     of the labels). The decoder has no padding mask: causal attention only, as caikit calls it.
    ///   - labels: `[B, T]` token ids or -100; position t predicts `labels[t]` (no shift).
    ///   - dEncoderEmbeds, dDecoderEmbeds: `[B, S, C]` / `[B, T, C]` outputs, or nil.
    /// - Returns: the loss (mean over labeled positions, NaN when none) and the number counted.
    public func lossAndGradient(encoderEmbeds: UnsafePointer<Float>, encoderMask: UnsafePointer<Int32>, sourceTokens s: Int,
                                decoderEmbeds: UnsafePointer<Float>, labels: UnsafePointer<Int32>, targetTokens t: Int,
                                batch b: Int, dEncoderEmbeds: UnsafeMutablePointer<Float>?,
                                dDecoderEmbeds: UnsafeMutablePointer<Float>?, scale: Float = 1,
                                workspace ws: Seq2SeqWorkspace,
                                hits: UnsafeMutablePointer<Int32>? = nil) throws -> (loss: Float, count: Int) {
        let (enc, dec) = try forwardTraining(encoderEmbeds: encoderEmbeds, encoderMask: encoderMask, sourceTokens: s,
                                             decoderEmbeds: decoderEmbeds, targetTokens: t, batch: b, ws: ws)
        let wantGradient = dEncoderEmbeds != nil || dDecoderEmbeds != nil
        ws.dHead.reshape([b * t, seq2seqSpec.hidden])
        ws.head = HeadWorkspace.sized(ws.head, for: head, rows: b * t, budget: HeadWorkspace.compactBudget)
        let result = try head.loss(hidden: dec.output, targets: labels, rows: b * t,
                                   dHidden: wantGradient ? ws.dHead.data : nil, scale: scale, workspace: ws.head!,
                                   hits: hits)
        guard wantGradient else { return result }
        ws.dEncoderOut.reshape([b * s, seq2seqSpec.hidden], zero: true)
        var decCall = dec.call
        decCall.dEncoder = ws.dEncoderOut.data
        backward(decoder, dOut: ws.dHead.data, call: decCall, buf: ws.decoder, ws: ws, dEmbeds: dDecoderEmbeds)
        if let dEncoderEmbeds {
            backward(encoder, dOut: ws.dEncoderOut.data, call: enc.call, buf: ws.encoder, ws: ws, dEmbeds: dEncoderEmbeds)
        }
        return result
    }

    /// The encoder output `[B·S, C]` and the decoder logits `[rows.count, V]` at the flattened
    /// `(b·T + t)` decoder rows (all rows when nil).
    public func forward(encoderEmbeds: UnsafePointer<Float>, encoderMask: UnsafePointer<Int32>, sourceTokens s: Int,
                        decoderEmbeds: UnsafePointer<Float>, targetTokens t: Int, batch b: Int, rows: [Int]? = nil,
                        workspace ws: Seq2SeqWorkspace) throws -> (encoderOutput: [Float], logits: [Float]) {
        let (enc, dec) = try forwardTraining(encoderEmbeds: encoderEmbeds, encoderMask: encoderMask, sourceTokens: s,
                                             decoderEmbeds: decoderEmbeds, targetTokens: t, batch: b, ws: ws)
        let c = seq2seqSpec.hidden, v = head.vocab
        let encoderOutput = Array(UnsafeBufferPointer(start: enc.output, count: b * s * c))
        let picked = rows ?? Array(0..<(b * t))
        if let bad = picked.first(where: { $0 < 0 || $0 >= b * t }) {
            throw ModelError.invalidInput("logits row \(bad) is outside the decoder's 0..<\(b * t) rows")
        }
        var logits = [Float](repeating: 0, count: picked.count * v)
        let row = Tensor(shape: [1, c])
        logits.withUnsafeMutableBufferPointer { o in
            for (i, r) in picked.enumerated() {
                row.data.update(from: dec.output + r * c, count: c)
                head.logits(row.data, rows: 1, o.baseAddress! + i * v)
            }
        }
        return (encoderOutput, logits)
    }

    /// Checks the sizes of a call against the model (learned-position tables bound the lengths).
    func validate(batch b: Int, source s: Int, target t: Int) throws {
        guard b > 0, s > 0, t > 0 else {
            throw ModelError.invalidInput("seq2seq batch needs at least one row, one source and one target token (got B \(b), S \(s), T \(t))")
        }
        if let p = seq2seqSpec.maxPositions, max(s, t) > p {
            throw ModelError.invalidInput("sequence of \(max(s, t)) tokens is longer than the model's \(p) learned positions (max_position_embeddings); shorten the input or the target")
        }
    }

    typealias StackResult = (output: UnsafeMutablePointer<Float>, call: StackCall)

    func forwardTraining(encoderEmbeds: UnsafePointer<Float>, encoderMask: UnsafePointer<Int32>, sourceTokens s: Int,
                         decoderEmbeds: UnsafePointer<Float>, targetTokens t: Int, batch b: Int,
                         ws: Seq2SeqWorkspace) throws -> (encoder: StackResult, decoder: StackResult) {
        try validate(batch: b, source: s, target: t)
        let keyMask = ws.encoder.keyMask
        keyMask.reshape([b, s])
        for i in 0..<(b * s) { keyMask.data[i] = encoderMask[i] != 0 ? 1 : 0 }
        let maskOptions = AttentionOptions(keyMask: UnsafePointer(keyMask.data), keyMaskStride: s)
        var encOptions = maskOptions
        encOptions.causal = encoder.causal
        let encCall = stackCall(encoder, buf: ws.encoder, batch: b, tokens: s, options: encOptions)
        let encOut = run(encoder, embeds: encoderEmbeds, call: encCall, buf: ws.encoder, ws: ws)
        var decCall = stackCall(decoder, buf: ws.decoder, batch: b, tokens: t, options: AttentionOptions(causal: decoder.causal))
        decCall.encoder = UnsafePointer(encOut)
        decCall.encoderTokens = s
        decCall.crossOptions = maskOptions
        let decOut = run(decoder, embeds: decoderEmbeds, call: decCall, buf: ws.decoder, ws: ws)
        return ((encOut, encCall), (decOut, decCall))
    }

    func stackCall(_ stack: Seq2SeqStack, buf: StackBuffers, batch: Int, tokens: Int,
                   options: AttentionOptions) -> StackCall {
        let rb = stack.relativeBias
        return StackCall(batch: batch, tokens: tokens, selfOptions: options, selfBias: { l in
            rb.map { UnsafePointer(buf.biases[$0.table(layer: l)].data) }
        })
    }

    /// Forward through one stack; returns its output `[B·T, C]` (after the final norm).
    func run(_ stack: Seq2SeqStack, embeds: UnsafePointer<Float>, call: StackCall, buf: StackBuffers,
             ws: Seq2SeqWorkspace) -> UnsafeMutablePointer<Float> {
        let n = call.rows, c = seq2seqSpec.hidden
        buf.reshape(stack, call: call, hidden: c)
        ws.scratch.reshape(rows: n, keyRows: call.batch * max(call.tokens, call.encoderTokens), width: c,
                           inner: seq2seqSpec.heads * seq2seqSpec.headDim, ffn: seq2seqSpec.ffn)
        let x = buf.x.data
        x.update(from: embeds, count: n * c)
        // bf16 compute: inputs_embeds (the prompt cast by PEFT, the scaled embeddings), their sum with
        // the positions and the embedding norm's output are bf16 tensors in PyTorch.
        BF16Compute.roundHidden(x, count: n * c)
        if let pos = stack.learnedPositions {
            for r in 0..<n { pos.addRow(stack.positionOffset + r % call.tokens, into: x + r * c) }
            BF16Compute.roundHidden(x, count: n * c)
        }
        if let norm = stack.embeddingNorm {
            buf.stageIn.data.update(from: x, count: n * c)
            norm.forward(buf.stageIn.data, x, rows: n, mean: buf.stageMean.data, rstd: buf.stageRstd.data)
            BF16Compute.roundHidden(x, count: n * c)
        }
        if let rb = stack.relativeBias {
            for (i, table) in rb.tables.enumerated() {
                RelativeBias.bias(out: buf.biases[i].data, table: table, queries: call.tokens, keys: call.tokens,
                                  bidirectional: rb.bidirectional, maxDistance: rb.maxDistance)
            }
        }
        for (l, block) in stack.blocks.enumerated() {
            if buf.checkpointing { buf.inputs[l].data.update(from: x, count: n * c) }
            block.forward(x, layer: l, call: call, states: buf.state(l), w: ws.scratch)
        }
        guard let norm = stack.finalNorm else { return x }
        norm.forward(x, buf.out.data, rows: n, mean: buf.finalMean.data, rstd: buf.finalRstd.data)
        BF16Compute.roundHidden(buf.out.data, count: n * c)
        return buf.out.data
    }

    /// Backward through one stack from d(output) (clobbered) to d(inputs_embeds) when `dEmbeds` is given.
    func backward(_ stack: Seq2SeqStack, dOut: UnsafeMutablePointer<Float>, call: StackCall, buf: StackBuffers,
                  ws: Seq2SeqWorkspace, dEmbeds: UnsafeMutablePointer<Float>?) {
        let n = call.rows, c = seq2seqSpec.hidden
        ws.scratch.reshape(rows: n, keyRows: call.batch * max(call.tokens, call.encoderTokens), width: c,
                           inner: seq2seqSpec.heads * seq2seqSpec.headDim, ffn: seq2seqSpec.ffn)
        let dx = buf.dx.data
        if let norm = stack.finalNorm {
            norm.backward(dOut, buf.x.data, mean: buf.finalMean.data, rstd: buf.finalRstd.data, dx, rows: n,
                          accumulate: false)
        } else {
            dx.update(from: dOut, count: n * c)
        }
        for l in stack.blocks.indices.reversed() {
            if buf.checkpointing {
                buf.replay.data.update(from: buf.inputs[l].data, count: n * c)
                stack.blocks[l].forward(buf.replay.data, layer: l, call: call, states: buf.state(l), w: ws.scratch)
            }
            stack.blocks[l].backward(dx, layer: l, call: call, states: buf.state(l), w: ws.scratch)
        }
        guard let dEmbeds else { return }
        if let norm = stack.embeddingNorm {
            norm.backward(dx, buf.stageIn.data, mean: buf.stageMean.data, rstd: buf.stageRstd.data, dEmbeds, rows: n,
                          accumulate: false)
        } else {
            dEmbeds.update(from: dx, count: n * c)
        }
    }
}
