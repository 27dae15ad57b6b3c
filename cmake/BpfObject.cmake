# bpf_object(NAME SOURCE [HEADERS ...])
#
# Compiles bpf/<SOURCE> with clang for the BPF target (CO-RE, BTF), then generates a
# libbpf skeleton with bpftool. Both land in the build tree only; the custom command
# depends on the source and the headers it includes, so editing either rebuilds it.
# Defines an INTERFACE library <NAME>_skel whose include directory holds <NAME>.skel.h.

find_program(BPF_CLANG NAMES clang clang-14 REQUIRED)
find_program(BPFTOOL NAMES bpftool PATHS /usr/sbin /sbin REQUIRED)

function(bpf_object NAME SOURCE)
  set(out_dir ${CMAKE_CURRENT_BINARY_DIR}/bpf)
  set(obj ${out_dir}/${NAME}.bpf.o)
  set(skel ${out_dir}/${NAME}.skel.h)
  set(src ${CMAKE_CURRENT_SOURCE_DIR}/${SOURCE})
  get_filename_component(src_dir ${src} DIRECTORY)
  set(deps)
  foreach(h ${ARGN})
    list(APPEND deps ${CMAKE_CURRENT_SOURCE_DIR}/${h})
  endforeach()

  add_custom_command(
    OUTPUT ${obj}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${out_dir}
    # -mcpu=v3 (Linux 5.12+; the exporter needs 6.4): 32-bit jumps, and the fetching
    # atomics (compare-and-swap, exchange) the counting table claims its slots with.
    COMMAND ${BPF_CLANG} -g -O2 -Wall -Werror -target bpf -mcpu=v3 -D__TARGET_ARCH_x86
            -I${src_dir} -c ${src} -o ${obj}
    DEPENDS ${src} ${deps}
    COMMENT "BPF ${SOURCE}"
    VERBATIM)
  add_custom_command(
    OUTPUT ${skel}
    COMMAND ${BPFTOOL} gen skeleton ${obj} name ${NAME}_bpf > ${skel}
    DEPENDS ${obj}
    COMMENT "skeleton ${NAME}.skel.h"
    VERBATIM)
  add_custom_target(${NAME}_skel_gen DEPENDS ${skel})
  add_library(${NAME}_skel INTERFACE)
  add_dependencies(${NAME}_skel ${NAME}_skel_gen)
  target_include_directories(${NAME}_skel INTERFACE ${out_dir} ${src_dir})
endfunction()
