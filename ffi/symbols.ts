/**
 * The Deno.dlopen symbol table of native/ (see native/*.cpp). Handles are `pointer`s to heap
 * `at::Tensor`s; shapes, dim lists and handle lists travel as `buffer`s; shape entries are f64 so
 * no call needs a BigInt. A null pointer or a negative i32 means the call failed and
 * `dt_last_error` holds libtorch's message.
 */

const P = "pointer" as const;
const B = "buffer" as const;
const I = "i32" as const;
const U = "u32" as const;
const F = "f64" as const;

const unary = { parameters: [P], result: P } as const;
const binary = { parameters: [P, P], result: P } as const;
const withScalar = { parameters: [P, F], result: P } as const;
const reduceDims = { parameters: [P, B, I, I], result: P } as const;
const varianceDims = { parameters: [P, B, I, I, I], result: P } as const;
const shaped = { parameters: [P, B, I], result: P } as const;
const alongDim = { parameters: [P, I, I], result: P } as const;

export const symbols = {
  // errors, metadata, lifetime
  dt_last_error: { parameters: [], result: P },
  dt_meta: { parameters: [], result: P },
  dt_meta_capacity: { parameters: [], result: I },
  dt_describe: { parameters: [P], result: I },
  dt_free: { parameters: [P], result: "void" },
  dt_live_tensors: { parameters: [], result: F },
  dt_live_bytes: { parameters: [], result: F },
  // for tests of the error paths: the n-th tensor description from now fails (0: never)
  dt_fail_describe_after: { parameters: [I], result: "void" },
  // runtime
  dt_set_threads: { parameters: [I], result: I },
  dt_get_threads: { parameters: [], result: I },
  dt_use_caching_allocator: { parameters: [F], result: I },
  dt_allocator_stats: { parameters: [B], result: I },
  dt_allocator_release_cache: { parameters: [], result: I },
  dt_resident_memory: { parameters: [B], result: I },
  dt_reset_peak_resident: { parameters: [], result: I },
  dt_cuda_available: { parameters: [], result: I },
  dt_cuda_device_count: { parameters: [], result: I },
  dt_torch_version: { parameters: [], result: F },
  dt_synchronize: { parameters: [I, I], result: I },
  dt_set_grad_enabled: { parameters: [I], result: I },
  // distributed (native/dist.cpp)
  dt_dist_init: { parameters: [B, I, I, I, F, I, I], result: I },
  dt_dist_rank: { parameters: [], result: I },
  dt_dist_size: { parameters: [], result: I },
  dt_dist_backend: { parameters: [], result: I },
  dt_dist_destroy: { parameters: [], result: I },
  dt_dist_allreduce: { parameters: [B, I, I, B], result: I },
  dt_dist_broadcast: { parameters: [B, I, I, B], result: I },
  dt_dist_grad_allreduce: { parameters: [P, B, I, F, B], result: I },
  dt_dist_barrier: { parameters: [], result: I },
  // profiling (native/profile.cpp)
  dt_profile: { parameters: [I], result: I },
  dt_profile_entry: { parameters: [I, B], result: P },
  // creation
  dt_from_data: { parameters: [B, I, B, I, I, I, I], result: P },
  dt_full: { parameters: [B, I, F, I, I, I], result: P },
  dt_arange: { parameters: [F, F, F, I, I, I], result: P },
  dt_eye: { parameters: [I, I, I, I], result: P },
  dt_random: { parameters: [B, I, I, I, I, I, U, U], result: P },
  dt_randint: { parameters: [F, F, B, I, I, I, I, U, U], result: P },
  dt_bernoulli: { parameters: [P, F, U, U], result: P },
  dt_dropout: { parameters: [P, F, U, U], result: P },
  // data out
  dt_copy_to: { parameters: [P, B, F], result: I },
  dt_data_ptr: { parameters: [P], result: P },
  dt_item: { parameters: [P, B], result: I },
  dt_is_contiguous: { parameters: [P], result: I },
  // conversion
  dt_to_dtype: { parameters: [P, I], result: P },
  dt_to_device: { parameters: [P, I, I], result: P },
  dt_clone: unary,
  dt_alias: unary,
  dt_detach: unary,
  // elementwise
  dt_add: binary,
  dt_sub: binary,
  dt_mul: binary,
  dt_div: binary,
  dt_pow: binary,
  dt_maximum: binary,
  dt_minimum: binary,
  dt_eq: binary,
  dt_ne: binary,
  dt_lt: binary,
  dt_le: binary,
  dt_gt: binary,
  dt_ge: binary,
  dt_logical_and: binary,
  dt_logical_or: binary,
  dt_add_scalar: withScalar,
  dt_sub_scalar: withScalar,
  dt_rsub_scalar: withScalar,
  dt_mul_scalar: withScalar,
  dt_div_scalar: withScalar,
  dt_rdiv_scalar: withScalar,
  dt_pow_scalar: withScalar,
  dt_eq_scalar: withScalar,
  dt_ne_scalar: withScalar,
  dt_lt_scalar: withScalar,
  dt_le_scalar: withScalar,
  dt_gt_scalar: withScalar,
  dt_ge_scalar: withScalar,
  dt_clamp: { parameters: [P, I, F, I, F], result: P },
  dt_neg: unary,
  dt_abs: unary,
  dt_exp: unary,
  dt_log: unary,
  dt_sqrt: unary,
  dt_rsqrt: unary,
  dt_tanh: unary,
  dt_sigmoid: unary,
  dt_relu: unary,
  dt_gelu: { parameters: [P, I], result: P },
  dt_sin: unary,
  dt_cos: unary,
  dt_reciprocal: unary,
  dt_logical_not: unary,
  dt_isnan: unary,
  dt_isfinite: unary,
  // selection
  dt_where: { parameters: [P, P, P], result: P },
  dt_masked_fill: { parameters: [P, P, F], result: P },
  dt_tril: { parameters: [P, I], result: P },
  dt_triu: { parameters: [P, I], result: P },
  // linear algebra
  dt_matmul: binary,
  dt_bmm: binary,
  dt_linear: { parameters: [P, P, P], result: P },
  // shape
  dt_reshape: shaped,
  dt_view: shaped,
  dt_expand: shaped,
  dt_transpose: alongDim,
  dt_permute: shaped,
  dt_contiguous: unary,
  dt_squeeze: { parameters: [P, I], result: P },
  dt_unsqueeze: { parameters: [P, I], result: P },
  dt_slice: { parameters: [P, I, F, F, F], result: P },
  dt_cat: { parameters: [B, I, I], result: P },
  dt_stack: { parameters: [B, I, I], result: P },
  dt_gather: { parameters: [P, I, P], result: P },
  dt_index_select: { parameters: [P, I, P], result: P },
  // reductions
  dt_sum: reduceDims,
  dt_sum_all: unary,
  dt_mean: reduceDims,
  dt_mean_all: unary,
  dt_std: varianceDims,
  dt_var: varianceDims,
  dt_amax: reduceDims,
  dt_amin: reduceDims,
  dt_max_all: unary,
  dt_min_all: unary,
  dt_argmax: alongDim,
  dt_argmin: alongDim,
  dt_logsumexp: alongDim,
  dt_softmax: { parameters: [P, I], result: P },
  dt_log_softmax: { parameters: [P, I], result: P },
  dt_topk: { parameters: [P, I, I, I, I, B], result: I },
  // nn
  dt_embedding: binary,
  dt_layer_norm: { parameters: [P, I, P, P, F], result: P },
  dt_cross_entropy: { parameters: [P, P, I, I, F], result: P },
  dt_sdpa: { parameters: [P, P, P, P, I], result: P },
  dt_has_fused_attention: { parameters: [], result: I },
  // optimizers
  dt_adam: { parameters: [P, P, P, P, F, F, F, F, F, I, F, I, B], result: I },
  dt_clip_grad_norm: { parameters: [B, I, F, I, B], result: I },
  // autograd
  dt_leaf: unary,
  dt_grad: { parameters: [P, B, I, B], result: I },
  // ---- A: elementwise and reductions/scans (issue 17) ----
  // activations and unary math (native/math.cpp)
  dt_silu: unary,
  dt_softplus: { parameters: [P, F, F], result: P },
  dt_elu: withScalar,
  dt_leaky_relu: withScalar,
  dt_mish: unary,
  dt_hardtanh: { parameters: [P, F, F], result: P },
  dt_erf: unary,
  dt_log1p: unary,
  dt_expm1: unary,
  dt_log2: unary,
  dt_floor: unary,
  dt_ceil: unary,
  dt_round: unary,
  dt_trunc: unary,
  dt_sign: unary,
  dt_square: unary,
  dt_fmod: binary,
  dt_fmod_scalar: withScalar,
  dt_remainder: binary,
  dt_remainder_scalar: withScalar,
  dt_atan2: binary,
  dt_atan2_scalar: withScalar,
  dt_lerp: { parameters: [P, P, P], result: P },
  dt_lerp_scalar: { parameters: [P, P, F], result: P },
  dt_isclose: { parameters: [P, P, F, F, I], result: P },
  dt_allclose: { parameters: [P, P, F, F, I], result: I },
  // reductions, scans, sorting (native/sort.cpp)
  dt_prod_all: unary,
  dt_prod: alongDim,
  dt_norm: { parameters: [P, F, B, I, I], result: P },
  dt_frobenius_norm: reduceDims,
  dt_all_all: unary,
  dt_all: alongDim,
  dt_any_all: unary,
  dt_any: alongDim,
  dt_median_all: unary,
  dt_cumsum: { parameters: [P, I], result: P },
  dt_cumprod: { parameters: [P, I], result: P },
  dt_logcumsumexp: { parameters: [P, I], result: P },
  dt_sort: { parameters: [P, I, I, I, B], result: I },
  dt_argsort: { parameters: [P, I, I, I], result: P },
  dt_median: { parameters: [P, I, I, B], result: I },
  dt_mode: { parameters: [P, I, I, B], result: I },
  dt_unique: { parameters: [P, I, B], result: I },
  // ---- A: end ----

  // ---- B: indexing and shape (issue 17) ----
  dt_flatten: alongDim,
  dt_unflatten: { parameters: [P, I, B, I], result: P },
  dt_flip: shaped,
  dt_roll: { parameters: [P, B, B, I, I], result: P },
  dt_repeat: shaped,
  dt_tile: shaped,
  dt_repeat_interleave: { parameters: [P, F, I, I], result: P },
  dt_repeat_interleave_tensor: { parameters: [P, P, I, I], result: P },
  dt_pad: { parameters: [P, B, I, I, F], result: P },
  dt_movedim: { parameters: [P, B, B, I], result: P },
  dt_narrow: { parameters: [P, I, F, F], result: P },
  dt_diag: { parameters: [P, I], result: P },
  dt_diagonal: { parameters: [P, I, I, I], result: P },
  dt_broadcast_to: shaped,
  dt_split: { parameters: [P, F, I, I, B], result: I },
  dt_split_sizes: { parameters: [P, B, I, I, B], result: I },
  dt_chunk: { parameters: [P, I, I, I, B], result: I },
  dt_unbind: { parameters: [P, I, I, B], result: I },
  dt_meshgrid: { parameters: [B, I, I, B], result: I },
  dt_scatter: { parameters: [P, I, P, P], result: P },
  dt_scatter_value: { parameters: [P, I, P, F], result: P },
  dt_scatter_add: { parameters: [P, I, P, P], result: P },
  dt_scatter_reduce: { parameters: [P, I, P, P, I, I], result: P },
  dt_index_add: { parameters: [P, I, P, P, F], result: P },
  dt_index_fill: { parameters: [P, I, P, F], result: P },
  dt_index_put: { parameters: [P, B, I, P, I], result: P },
  dt_take: binary,
  dt_take_along_dim: { parameters: [P, P, I, I], result: P },
  dt_nonzero: unary,
  dt_masked_select: binary,
  dt_one_hot: { parameters: [P, F], result: P },
  // ---- B: end ----

  // ---- C: linear algebra, creation and random (issue 17) ----
  dt_einsum: { parameters: [B, B, I], result: P },
  dt_outer: binary,
  dt_addmm: { parameters: [P, P, P, F, F], result: P },
  dt_baddbmm: { parameters: [P, P, P, F, F], result: P },
  dt_tensordot: { parameters: [P, P, B, B, I], result: P },
  dt_kron: binary,
  dt_inverse: unary,
  dt_det: unary,
  dt_solve: binary,
  dt_cholesky: { parameters: [P, I], result: P },
  dt_slogdet: { parameters: [P, B], result: I },
  dt_qr: { parameters: [P, I, B], result: I },
  dt_svd: { parameters: [P, I, B], result: I },
  dt_eigh: { parameters: [P, I, B], result: I },
  dt_linspace: { parameters: [F, F, F, I, I, I], result: P },
  dt_logspace: { parameters: [F, F, F, F, I, I, I], result: P },
  dt_empty_like: { parameters: [P, I, I, I], result: P },
  dt_randperm: { parameters: [F, I, I, I, U, U], result: P },
  dt_multinomial: { parameters: [P, F, I, U, U], result: P },
  dt_normal: { parameters: [B, I, F, F, I, I, I, U, U], result: P },
  dt_uniform: { parameters: [B, I, F, F, I, I, I, U, U], result: P },
  // ---- C: end ----

  // ---- D: neural network (issue 17) ----
  // conv.cpp: the integer parameters of each op packed in one f64 buffer (see there)
  dt_conv: { parameters: [P, P, P, B, I, I, I], result: P },
  dt_conv_transpose: { parameters: [P, P, P, B, I, I], result: P },
  dt_max_pool: { parameters: [P, B, I, I], result: P },
  dt_max_pool_with_indices: { parameters: [P, B, I, I, B], result: I },
  dt_avg_pool: { parameters: [P, B, I, I, I], result: P },
  dt_adaptive_avg_pool2d: { parameters: [P, B], result: P },
  dt_interpolate: { parameters: [P, B, I, I, I, I], result: P },
  // norm.cpp
  dt_batch_norm: { parameters: [P, P, P, P, P, I, F, F, B], result: I },
  dt_group_norm: { parameters: [P, I, P, P, F], result: P },
  dt_instance_norm: { parameters: [P, P, P, F], result: P },
  dt_rms_norm: { parameters: [P, I, P, F], result: P },
  // loss.cpp
  dt_pointwise_loss: { parameters: [P, P, I, I, F], result: P },
  dt_nll_loss: { parameters: [P, P, P, I, I], result: P },
  dt_binary_cross_entropy: { parameters: [P, P, P, I], result: P },
  dt_binary_cross_entropy_with_logits: { parameters: [P, P, P, P, I], result: P },
  dt_kl_div: { parameters: [P, P, I, I], result: P },
  dt_cosine_embedding_loss: { parameters: [P, P, P, F, I], result: P },
  // ---- D: end ----

  // ---- E: transforms (issue 17) ----
  dt_nested_leaf: unary,
  dt_same_tensor: unary,
  dt_vjp: { parameters: [B, B, I, B, I, I, B], result: I },
  dt_jvp: { parameters: [B, I, B, B, I, I, B], result: I },
  // ---- E: end ----

  // ---- F: layers and optimizers (issue 17) ----
  // optimizer steps (native/optim.cpp): params, hyperparameters, in_place, out slots
  dt_sgd: { parameters: [P, P, P, F, F, F, F, I, I, B], result: I },
  dt_adagrad: { parameters: [P, P, P, F, F, F, F, F, I, B], result: I },
  dt_rmsprop: { parameters: [P, P, P, P, P, F, F, F, F, F, I, I, B], result: I },
  dt_lion: { parameters: [P, P, P, F, F, F, F, I, B], result: I },
  // ---- F: end ----
} as const satisfies Deno.ForeignLibraryInterface;

export type Symbols = typeof symbols;
