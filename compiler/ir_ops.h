/* compiler/ir_ops.h — the tensor IR's operations, one line each: the
 * single source of the opcode enum and its tables (ir.h, ir.c).
 *
 *  name          args  printed               what it computes
 */
/* leaves */
OP(CONST,          0,  "const")            /* num, as a scalar */
OP(ZEROS,          0,  "zeros")            /* zeros of ty */
OP(PARAM,          0,  "param")            /* parameter `index` */
OP(INPUT,          0,  "input")            /* input `index` of each example */
OP(TARGET,         0,  "target")           /* target `index` of each example */
/* elementwise, NumPy broadcasting */
OP(ADD,            2,  "add")
OP(SUB,            2,  "sub")
OP(MUL,            2,  "mul")
OP(DIV,            2,  "div")
OP(NEG,            1,  "neg")
OP(EXP,            1,  "exp")
OP(LOG,            1,  "log")
OP(SQRT,           1,  "sqrt")
OP(ABS,            1,  "abs")
OP(TANH,           1,  "tanh")
OP(SIGMOID,        1,  "sigmoid")
OP(RELU,           1,  "relu")
/* shapes */
OP(MATMUL,         2,  "matmul")           /* [m,k]@[k] [m,k]@[k,n] [k]@[k,n] */
OP(OUTER,          2,  "outer")            /* a[m] b[k] -> [m,k] */
OP(TRANSPOSE,      1,  "transpose")
OP(RESHAPE,        1,  "reshape")          /* to ty */
OP(SLICE,          1,  "slice")            /* lo..hi per dim, or one */
OP(UNSLICE,        1,  "unslice")          /* SLICE adjoint: into zeros */
OP(CONCAT,        -1,  "concat")           /* along `axis` */
OP(REVERSE,        1,  "reverse")          /* the first dimension */
OP(SUM_TO,         1,  "sum_to")           /* undo broadcasting: sum */
OP(BROADCAST,      1,  "broadcast")        /* stretch to ty */
/* reductions over one example */
OP(SUM,            1,  "sum")
OP(MEAN,           1,  "mean")
OP(SUMSQ,          1,  "sumsq")            /* sum of squares */
OP(SOFTMAX,        1,  "softmax")          /* over the last dim */
OP(LOG_SOFTMAX,    1,  "log_softmax")
/* losses of one example: a scalar; `mean_steps` averages over positions */
OP(XENT,           2,  "xent")             /* logits, class labels */
OP(XENT_SOFT,      2,  "xent_soft")        /* logits, probabilities */
OP(NLL,            2,  "nll")              /* log-probabilities, labels */
OP(SSE,            2,  "sse")              /* sum of squared error */
OP(MSE,            2,  "mse")              /* mean of squared error */
OP(BCE,            2,  "bce")              /* probabilities, 0/1 */
OP(BCE_LOGITS,     2,  "bce_logits")       /* logits, 0/1 */
/* across the batch */
OP(BATCH_SUM,      1,  "batch_sum")        /* per example -> one value */
OP(BATCH_MEAN,     1,  "batch_mean")
OP(UNBATCH,        1,  "unbatch")          /* one value -> every example,
                                              divided by the batch if mean */
/* adjoints that are cheaper fused than composed */
OP(TANH_GRAD,      2,  "tanh_grad")        /* g, y: g * (1 - y*y) */
OP(SIGMOID_GRAD,   2,  "sigmoid_grad")     /* g, y: g * y * (1 - y) */
OP(RELU_GRAD,      2,  "relu_grad")        /* g, x: x > 0 ? g : 0 */
OP(SOFTMAX_GRAD,   2,  "softmax_grad")     /* g, y: y * (g - sum(g*y)) */
OP(LOG_SOFTMAX_GRAD, 2, "log_softmax_grad")/* g, y: g - exp(y) * sum(g) */
OP(ABS_GRAD,       2,  "abs_grad")         /* g, x: g * sign(x) */
OP(LOSS_GRAD,      3,  "loss_grad")        /* g, prediction, target: the
                                              adjoint of loss `of` */
/* time loops (see IrLoop in ir.h) */
OP(LOOP,          -1,  "loop")             /* runs `loop`; args: its inits */
OP(LOOP_OUT,       1,  "loop_out")         /* output `index` of a loop */
OP(STEP_IN,        1,  "step_in")          /* in a body: step t of a sequence */
OP(STATE,          0,  "state")            /* in a body: state `index` at the
                                              step before */
/* sequences of varying length (the lengths come after the inputs) */
OP(LENGTH,         0,  "length")           /* each example's number of steps */
OP(PICK,           2,  "pick")             /* seq, length: the step `lo`
                                              counted from each one's end */
OP(UNPICK,         2,  "unpick")           /* PICK's adjoint: into zeros */
OP(MASK,           2,  "mask")             /* in a body: x, length: x while
                                              t is within the length, 0
                                              past it */
