//! The ECP5 multiplier primitive with its own registers: the Verilog text of a product that
//! keeps its operand and product registers inside a MULT18X18D on ECP5 parts, and in the
//! fabric everywhere else.
//!
//! yosys maps a `*` to one MULT18X18D but leaves the registers around it in the fabric, and
//! nextpnr places them where the adder tree after them is: on the ECP5-85F the routes from the
//! operand registers to the DSP row and back took 7.7 ns of a 12.2 ns path (the D = 64 head,
//! 82.3 MHz). With the registers in the block (`REG_INPUTA_CLK`, `REG_INPUTB_CLK`,
//! `REG_OUTPUT_CLK` = `"CLK0"`) the multiplier's own path has no route at all, and the routes to
//! and from it are register to register.
//!
//! The score units ([`crate::front_end::dot_product::DotProduct`]) and ScaleShift write their
//! products this way; the lanes' 16 x 8 products do not (their operands come straight from block
//! RAM). The choice is made in the Verilog by one macro, [`ECP5_DSP_DEFINE`]: a design emitted
//! for an ECP5 part that has such products starts with [`ecp5_prelude`]
//! ([`crate::boards::for_part`]), so the same modules build either way (Verilator, synth_xilinx
//! and synth_ice40 see the fabric registers). [`mult18x18d_model`] is a
//! behavioural model of the primitive in the one configuration used here, for Verilator tests of
//! the ECP5 text.

/// The macro that selects MULT18X18D-registered products (defined by [`ecp5_prelude`]).
pub const ECP5_DSP_DEFINE: &str = "LOGATTN_ECP5_DSP";

/// The first line of Verilog emitted for an ECP5 part: defines [`ECP5_DSP_DEFINE`].
pub fn ecp5_prelude() -> String {
    format!("`define {ECP5_DSP_DEFINE}\n")
}

/// Verilog statements making `p` (a `p_bits` wide wire declared by the caller) the product of
/// `a` and `b` (Verilog expressions of at most 18 bits, `signed_*` saying whether each is two's
/// complement) two `clock` edges after them: under [`ECP5_DSP_DEFINE`], one MULT18X18D with its
/// operand and product registers on `clock`; otherwise `generic`, the caller's fabric version
/// (with the same two edges). For operands that come from fabric registers, which the placer
/// can put anywhere between their source and the block (not for a block RAM's outputs: their
/// 5.6 ns clock-to-out leaves no time to cross the die to a DSP row in the same cycle).
/// `p_bits` is at most 36, the primitive's product. `tag` names the instance and its wires
/// (unique within the module).
pub fn registered_product(
    tag: &str,
    (a, a_bits, signed_a): (&str, usize, bool),
    (b, b_bits, signed_b): (&str, usize, bool),
    p: &str,
    p_bits: usize,
    generic: &str,
) -> String {
    assert!(
        (1..=18).contains(&a_bits) && (1..=18).contains(&b_bits) && (1..=36).contains(&p_bits),
        "registered_product: operands are 1..=18 bits and the product 1..=36, got {a_bits}, {b_bits}, {p_bits}"
    );
    // `w`: the operand's wire, extended to the primitive's 18 bits.
    let ext = |w: String, bits: usize, signed: bool| {
        if bits == 18 {
            w
        } else if signed {
            format!("{{{{{}{{{w}[{}]}}}}, {w}}}", 18 - bits, bits - 1)
        } else {
            format!("{{{}'d0, {w}}}", 18 - bits)
        }
    };
    let pins = |port: char, bus: &str, n: usize| {
        (0..n)
            .map(|i| format!(".{port}{i}({bus}[{i}])"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let zeros = (0..18)
        .map(|i| format!(".C{i}(1'b0)"))
        .collect::<Vec<_>>()
        .join(", ");
    let (am, bm) = (a_bits - 1, b_bits - 1);
    let operand_wires =
        format!("    wire [{am}:0] {tag}_a_w = {a};\n    wire [{bm}:0] {tag}_b_w = {b};\n");
    format!(
        "`ifdef {ECP5_DSP_DEFINE}
{operand_wires}    wire [17:0] {tag}_a18 = {ae};
    wire [17:0] {tag}_b18 = {be};
    wire [35:0] {tag}_p36;
    MULT18X18D #(.REG_INPUTA_CLK(\"CLK0\"), .REG_INPUTB_CLK(\"CLK0\"), .REG_OUTPUT_CLK(\"CLK0\"),
                 .REG_PIPELINE_CLK(\"NONE\"), .REG_INPUTC_CLK(\"NONE\")) {tag}_dsp(
        .CLK0(clock), .CLK1(1'b0), .CLK2(1'b0), .CLK3(1'b0),
        .CE0(1'b1), .CE1(1'b0), .CE2(1'b0), .CE3(1'b0),
        .RST0(1'b0), .RST1(1'b0), .RST2(1'b0), .RST3(1'b0),
        .SIGNEDA(1'b{sa}), .SIGNEDB(1'b{sb}), .SOURCEA(1'b0), .SOURCEB(1'b0),
        {ap},
        {bp},
        {zeros},
        {pp});
    assign {p} = {tag}_p36[{pm}:0];
`else
{generic}`endif
",
        ae = ext(format!("{tag}_a_w"), a_bits, signed_a),
        be = ext(format!("{tag}_b_w"), b_bits, signed_b),
        sa = u8::from(signed_a),
        sb = u8::from(signed_b),
        ap = pins('A', &format!("{tag}_a18"), 18),
        bp = pins('B', &format!("{tag}_b18"), 18),
        pp = pins('P', &format!("{tag}_p36"), 36),
        pm = p_bits - 1,
    )
}

/// [`registered_product`] with the usual fabric version: the operands registered in
/// `{tag}_ar`, `{tag}_br`, their product in `{tag}_pr` (the low `p_bits` of the exact product,
/// as the primitive's `P[p_bits-1:0]`).
pub fn registered_product_or_fabric(
    tag: &str,
    (a, a_bits, signed_a): (&str, usize, bool),
    (b, b_bits, signed_b): (&str, usize, bool),
    p: &str,
    p_bits: usize,
) -> String {
    let op = |x: String, signed: bool| {
        if signed {
            format!("$signed({x})")
        } else {
            format!("$signed({{1'b0, {x}}})")
        }
    };
    let generic = format!(
        "    reg [{am}:0] {tag}_ar;
    reg [{bm}:0] {tag}_br;
    reg [{pm}:0] {tag}_pr;
    always @(posedge clock) begin
        {tag}_ar <= {a};
        {tag}_br <= {b};
        {tag}_pr <= {oa} * {ob};
    end
    assign {p} = {tag}_pr;
",
        am = a_bits - 1,
        bm = b_bits - 1,
        pm = p_bits - 1,
        oa = op(format!("{tag}_ar"), signed_a),
        ob = op(format!("{tag}_br"), signed_b),
    );
    registered_product(
        tag,
        (a, a_bits, signed_a),
        (b, b_bits, signed_b),
        p,
        p_bits,
        &generic,
    )
}

/// A behavioural model of Lattice's MULT18X18D for Verilator, in the one configuration
/// [`registered_product`] instantiates (inputs A and B and the output registered on CLK0,
/// CE0 = 1, RST0 = 0, no pipeline register, C unused): `P` is the 36-bit product of `A` and
/// `B`, each signed or not as `SIGNEDA`/`SIGNEDB` say, two CLK0 edges after them. Any other
/// register setting stops the simulation at time 0. Not for synthesis (yosys has the real
/// primitive).
pub fn mult18x18d_model() -> String {
    let ports = |p: char, n: usize| (0..n).map(|i| format!("{p}{i}")).collect::<Vec<_>>();
    let mut ins = ports('A', 18);
    ins.extend(ports('B', 18));
    ins.extend(ports('C', 18));
    ins.extend(
        [
            "SIGNEDA", "SIGNEDB", "SOURCEA", "SOURCEB", "CLK0", "CLK1", "CLK2", "CLK3", "CE0",
            "CE1", "CE2", "CE3", "RST0", "RST1", "RST2", "RST3",
        ]
        .map(String::from),
    );
    let outs = ports('P', 36);
    let bus = |p: char, n: usize| {
        (0..n)
            .rev()
            .map(|i| format!("{p}{i}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let assigns = (0..36)
        .map(|i| format!("    assign P{i} = pr[{i}];\n"))
        .collect::<String>();
    format!(
        "// Behavioural model of the MULT18X18D configuration logattn uses (Verilator only).
/* verilator lint_off UNUSEDSIGNAL */
/* verilator lint_off UNUSEDPARAM */
module MULT18X18D #(
    parameter REG_INPUTA_CLK = \"NONE\", parameter REG_INPUTB_CLK = \"NONE\",
    parameter REG_INPUTC_CLK = \"NONE\", parameter REG_PIPELINE_CLK = \"NONE\",
    parameter REG_OUTPUT_CLK = \"NONE\"
) (
    input wire {ins},
    output wire {outs}
);
    initial begin
        if (REG_INPUTA_CLK != \"CLK0\" || REG_INPUTB_CLK != \"CLK0\" || REG_OUTPUT_CLK != \"CLK0\"
            || REG_PIPELINE_CLK != \"NONE\" || REG_INPUTC_CLK != \"NONE\")
            $fatal(1, \"MULT18X18D model: only inputs A, B and the output registered on CLK0\");
    end
    reg [17:0] ar = 18'd0, br = 18'd0;
    reg sar = 1'b0, sbr = 1'b0;
    reg [35:0] pr = 36'd0;
    wire [35:0] ax = sar ? {{{{18{{ar[17]}}}}, ar}} : {{18'd0, ar}};
    wire [35:0] bx = sbr ? {{{{18{{br[17]}}}}, br}} : {{18'd0, br}};
    always @(posedge CLK0) begin
        if (CE0 && !RST0) begin
            ar <= {{{a}}};
            br <= {{{b}}};
            sar <= SIGNEDA;
            sbr <= SIGNEDB;
            pr <= ax * bx;
        end
    end
{assigns}endmodule
/* verilator lint_on UNUSEDPARAM */
/* verilator lint_on UNUSEDSIGNAL */
",
        ins = ins.join(", "),
        outs = outs.join(", "),
        a = bus('A', 18),
        b = bus('B', 18),
    )
}
