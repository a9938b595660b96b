# kiln_add_network(NAME HEADER <net.hpp> VARIABLE <qualified constexpr variable>
#                  [SCHEDULES manual Mullapudi2016 ...] [NO_GRADCHECK] [FORWARD_ONLY]
#                  [SEGMENTS K] [CUDA_SEGMENTS K] [CUDA_SCHEDULES manual Li2018 ...] [NO_OPENCL])
#
# Turns a declared network into AOT-compiled Halide libraries, with no generator code
# written by hand: a three-line generator source is written from the network's name, and
# codegen/generator.hpp derives every input and output from the network type. Builds
#   <NAME>_forward_<schedule>, <NAME>_grad_<schedule>   for each schedule
#   <NAME>_grad_f64                                       float64, for gradcheck
#   <NAME>_forward_<schedule>_cuda, <NAME>_grad_<schedule>_cuda
#                                                         for each of CUDA_SCHEDULES (default
#                                                         KILN_CUDA_SCHEDULES), when KILN_CUDA is on
#   <NAME>_forward_<schedule>_opencl, ..._grad_..._opencl  for each of KILN_OPENCL_SCHEDULES,
#                                                         when KILN_OPENCL is on
# and an INTERFACE target <NAME>_kernels whose header <NAME>_kernels.hpp lists them for the
# runtime (kiln::kernel_set). Link it and kiln_runtime into the model's binary.
#   NO_GRADCHECK  no float64 build: for big networks (ResNet-50), where a naive float64
#                 pipeline costs minutes of build time and gradcheck would take hours anyway
#   FORWARD_ONLY  no training step either: a network that is only ever evaluated (a
#                 reference model); implies NO_GRADCHECK
#   NO_OPENCL     no OpenCL build (KILN_OPENCL): for the big networks (ResNet-50, MobileNetV2),
#                 whose GPU pipelines take minutes to lower again, and for the twins of
#                 smaller ones (fashion_mlp, fashion_cnn, the jazz LSTM): their layers are
#                 checked on OpenCL by the others' builds (tests/gpu), and each case costs
#                 CI seconds of pocl compiling kernels. -DKILN_OPENCL_ALL=ON builds them anyway.
#   SEGMENTS K    build the network as K pipelines run one after the other, cut where one
#                 value carries all (network::segment_bounds): Halide's lowering time grows
#                 faster than a pipeline's length, so ResNet-50 compiles in pieces. Each
#                 piece has forward, train_forward (not the last) and grad libraries:
#                 <NAME>_<stage>_<schedule>_s<k>. Needs NO_GRADCHECK.
#   CUDA_SEGMENTS K  the GPU (CUDA and OpenCL) builds' number of pieces (default SEGMENTS). Lowering a GPU
#                 pipeline costs more, and grows faster with its length, than a CPU one: a
#                 ResNet-50 grad piece of 31 nodes took 320-450 s for CUDA against 150 s for
#                 the CPU, and its two halves 86 + 31 s. The runtime runs each build with the
#                 cut points of its own count (network::segment_bounds).
set(KILN_CMAKE_DIR ${CMAKE_CURRENT_LIST_DIR})

function(kiln_add_network NAME)
  cmake_parse_arguments(ARG "NO_GRADCHECK;FORWARD_ONLY;NO_OPENCL" "HEADER;VARIABLE;SEGMENTS;CUDA_SEGMENTS" "SCHEDULES;CUDA_SCHEDULES" ${ARGN})
  if(NOT ARG_SEGMENTS)
    set(ARG_SEGMENTS 1)
  endif()
  if(NOT ARG_CUDA_SEGMENTS)
    set(ARG_CUDA_SEGMENTS ${ARG_SEGMENTS})
  endif()
  if((ARG_SEGMENTS GREATER 1 OR ARG_CUDA_SEGMENTS GREATER 1) AND NOT ARG_NO_GRADCHECK AND NOT ARG_FORWARD_ONLY)
    message(FATAL_ERROR "kiln_add_network(${NAME}): SEGMENTS needs NO_GRADCHECK (gradcheck runs one pipeline)")
  endif()
  if(ARG_FORWARD_ONLY)
    set(ARG_NO_GRADCHECK ON)
    set(stages forward)
  else()
    set(stages forward grad)
  endif()
  if(NOT ARG_HEADER OR NOT ARG_VARIABLE)
    message(FATAL_ERROR "kiln_add_network(${NAME}): HEADER and VARIABLE are required")
  endif()
  if(NOT ARG_SCHEDULES)
    set(ARG_SCHEDULES ${KILN_SCHEDULES})
  endif()
  get_filename_component(header "${ARG_HEADER}" ABSOLUTE)
  set(gen_dir "${CMAKE_CURRENT_BINARY_DIR}/${NAME}")
  file(MAKE_DIRECTORY "${gen_dir}")

  set(KILN_NET_HEADER "${header}")
  set(KILN_NET_VARIABLE "${ARG_VARIABLE}")
  set(KILN_NET_NAME "${NAME}")
  configure_file("${KILN_CMAKE_DIR}/generator.cpp.in" "${gen_dir}/${NAME}_generator.cpp" @ONLY)
  # What add_halide_generator does, with Halide's GenGen.cpp (the generators' main, 3.3 s to
  # compile) compiled once for all 33 generators rather than once in each.
  if(NOT TARGET kiln_gengen)
    get_target_property(gengen Halide::Generator INTERFACE_SOURCES)
    add_library(kiln_gengen OBJECT ${gengen})
    target_link_libraries(kiln_gengen PRIVATE Halide::Halide)
    target_compile_options(kiln_gengen PRIVATE -O1)
  endif()
  add_executable(${NAME}.generator "${gen_dir}/${NAME}_generator.cpp" $<TARGET_OBJECTS:kiln_gengen>)
  target_link_libraries(${NAME}.generator PRIVATE Halide::Halide Threads::Threads ${CMAKE_DL_LIBS} kiln_codegen)
  # The generator only builds the Func graph; Halide's lowering (in libHalide) is what takes
  # the time when it runs. -O0 compiles happy_house's generator in 8.2 s against 11.9 s at
  # -O1, and it runs the grad build as fast (4.3 s against 4.2 s), writing the same Stmt.
  target_compile_options(${NAME}.generator PRIVATE -O0)

  set(libs "")
  set(includes "")
  set(variants "")
  # One build per (target, schedule): the host schedules, then the CUDA ones (KILN_CUDA),
  # then the OpenCL ones (KILN_OPENCL).
  set(builds "")
  foreach(schedule IN LISTS ARG_SCHEDULES)
    list(APPEND builds "host:${schedule}")
  endforeach()
  if(NOT ARG_CUDA_SCHEDULES)
    set(ARG_CUDA_SCHEDULES ${KILN_CUDA_SCHEDULES})
  endif()
  if(KILN_CUDA)
    foreach(schedule IN LISTS ARG_CUDA_SCHEDULES)
      list(APPEND builds "cuda:${schedule}")
    endforeach()
  endif()
  if(KILN_OPENCL AND (KILN_OPENCL_ALL OR NOT ARG_NO_OPENCL))
    foreach(schedule IN LISTS KILN_OPENCL_SCHEDULES)
      list(APPEND builds "opencl:${schedule}")
    endforeach()
  endif()
  foreach(build IN LISTS builds)
    string(REPLACE ":" ";" build "${build}")
    list(GET build 0 device)
    list(GET build 1 schedule)
    set(extra "")
    if(schedule STREQUAL "manual" OR schedule STREQUAL "naive")
      set(params schedule=${schedule})
      set(min_batch 1)
    elseif(NOT device STREQUAL "host")
      set(params "machine_params=132,50331648,40")  # an H100/H200: SMs, L2 bytes
      set(extra AUTOSCHEDULER Halide::${schedule})
      set(min_batch 64)  # Li2018 tiles the batch by 64 with shifted tails (seen on an H200)
    else()
      set(params "machine_params=2,33554432,40")
      set(extra AUTOSCHEDULER Halide::${schedule})
      set(min_batch 16)  # see kernel_variant::min_batch
    endif()
    if(device STREQUAL "host")
      set(target ${KILN_CPU_TARGET})
      set(suffix "")
      set(pieces ${ARG_SEGMENTS})
    else()  # a GPU: its pipelines are cut as CUDA's
      string(TOUPPER "${device}" upper)
      set(target ${KILN_${upper}_TARGET})
      set(suffix _${device})
      set(pieces ${ARG_CUDA_SEGMENTS})
    endif()
    if(pieces GREATER 1)
      math(EXPR last "${pieces} - 1")
      set(segs "")
      foreach(k RANGE ${last})
        set(fns "")
        foreach(stage forward train_forward grad)
          if(ARG_FORWARD_ONLY AND NOT stage STREQUAL "forward")
            string(APPEND fns "{}, ")
            continue()
          endif()
          if(stage STREQUAL "train_forward" AND k EQUAL last)
            string(APPEND fns "{}, ")
            continue()
          endif()
          set(lib ${NAME}_${stage}_${schedule}${suffix}_s${k})
          add_halide_library(${lib} FROM ${NAME}.generator GENERATOR ${NAME}
                             TARGETS ${target} USE_RUNTIME ${KILN_HALIDE_RUNTIME}
                             PARAMS stage=${stage} segments=${pieces} segment=${k} ${params} ${extra})
          list(APPEND libs ${lib})
          string(APPEND includes "#include \"${lib}.h\"\n")
          string(APPEND fns "{&${lib}_argv, &${lib}_metadata}, ")
        endforeach()
        string(APPEND segs "{${fns}}, ")
      endforeach()
      string(APPEND variants
        "    {\"${schedule}\", \"${device}\", {}, {}, ${min_batch}, {${segs}}},\n")
      continue()
    endif()
    foreach(stage IN LISTS stages)
      set(lib ${NAME}_${stage}_${schedule}${suffix})
      add_halide_library(${lib} FROM ${NAME}.generator GENERATOR ${NAME}
                         TARGETS ${target} USE_RUNTIME ${KILN_HALIDE_RUNTIME}
                         PARAMS stage=${stage} ${params} ${extra}
                         STMT ${lib}_STMT)
      list(APPEND libs ${lib})
      string(APPEND includes "#include \"${lib}.h\"\n")
    endforeach()
    if(ARG_FORWARD_ONLY)
      set(grad_fn "{}")
    else()
      set(grad_fn "{&${NAME}_grad_${schedule}${suffix}_argv, &${NAME}_grad_${schedule}${suffix}_metadata}")
    endif()
    string(APPEND variants
      "    {\"${schedule}\", \"${device}\", {&${NAME}_forward_${schedule}${suffix}_argv, &${NAME}_forward_${schedule}${suffix}_metadata},\n"
      "     ${grad_fn}, ${min_batch}},\n")
  endforeach()
  if(ARG_NO_GRADCHECK)
    set(KILN_GRAD_F64 "{}")
  else()
    set(lib ${NAME}_grad_f64)
    add_halide_library(${lib} FROM ${NAME}.generator GENERATOR ${NAME}
                       TARGETS ${KILN_CPU_TARGET} USE_RUNTIME ${KILN_HALIDE_RUNTIME}
                       PARAMS stage=grad elem=float64 schedule=naive)
    list(APPEND libs ${lib})
    string(APPEND includes "#include \"${lib}.h\"\n")
    set(KILN_GRAD_F64 "{&${lib}_argv, &${lib}_metadata}")
  endif()

  set(KILN_KERNEL_INCLUDES "${includes}")
  set(KILN_KERNEL_VARIANTS "${variants}")
  configure_file("${KILN_CMAKE_DIR}/kernels.hpp.in" "${gen_dir}/${NAME}_kernels.hpp" @ONLY)

  add_library(${NAME}_kernels INTERFACE)
  target_include_directories(${NAME}_kernels INTERFACE "${gen_dir}")
  target_link_libraries(${NAME}_kernels INTERFACE ${libs} kiln_optimizers kiln_dsl)
endfunction()

# kiln_wrap_kernel_launches(TARGET): the linker's --wrap of Halide's halide_<api>_run for each
# GPU API of the build, so that the generated pipelines' kernel launches reach the target's
# own __wrap_halide_<api>_run first (runtime/halide_run.hpp; tests/gpu/launch_limits.cpp checks
# them against CUDA's limits, bench/kernel_times.cpp times them).
function(kiln_wrap_kernel_launches target)
  foreach(api cuda opencl)
    string(TOUPPER ${api} API)
    if(KILN_${API})
      target_link_options(${target} PRIVATE "LINKER:--wrap=halide_${api}_run")
    endif()
  endforeach()
endfunction()
