// fastloss._core: the private extension module. Each family registers itself; this file adds
// only build and thread information.
#include <pybind11/pybind11.h>
#include <pybind11/native_enum.h>
#include <pybind11/stl.h>

#include "fastloss/common/contention.hpp"
#include "fastloss/kernel_table.hpp"

namespace py = pybind11;

namespace fastloss::bind {
void bind_regression(py::module_& m);
void bind_classification(py::module_& m);
void bind_rl(py::module_& m);
void bind_segmentation(py::module_& m);
void bind_pointcloud(py::module_& m);
void bind_metric(py::module_& m);
void bind_metric_batch(py::module_& m);
void bind_transport(py::module_& m);
}  // namespace fastloss::bind

#define FASTLOSS_STRINGIFY2(x) #x
#define FASTLOSS_STRINGIFY(x) FASTLOSS_STRINGIFY2(x)

PYBIND11_MODULE(_core, m, py::mod_gil_not_used()) {
    m.doc() = "fastloss native kernels (private; use the fastloss package)";
#ifdef VERSION_INFO
    m.attr("__version__") = FASTLOSS_STRINGIFY(VERSION_INFO);
#else
    m.attr("__version__") = "dev";
#endif
    m.def("has_openmp", &fastloss::has_openmp, "Whether the kernels were built with OpenMP.");
    m.def("default_num_threads", &fastloss::default_num_threads,
          "OpenMP's default thread count (honours OMP_NUM_THREADS); 1 without OpenMP.");
    m.def("threads_contended", &fastloss::threads_contended,
          "Whether calls with the default thread count run on one thread now (a busy machine).");
    m.def("available_isas", &fastloss::available_isas,
          "Instruction sets built in and supported by this CPU, baseline first.");
    m.def(
        "current_isa", [] { return std::string(fastloss::kernel_table().isa); },
        "The instruction set whose kernels are in use.");
    m.attr("SMALL_CLASSES") = fastloss::kSmallClasses;
    py::native_enum<fastloss::Reduction>(m, "Reduction", "enum.Enum")
        .value("NONE", fastloss::Reduction::None)
        .value("MEAN", fastloss::Reduction::Mean)
        .value("SUM", fastloss::Reduction::Sum)
        .finalize();
    m.def("_set_isa", &fastloss::select_isa, py::arg("name"),
          "Switch kernels (testing aid); returns False if the set is not available.");
    fastloss::bind::bind_regression(m);
    fastloss::bind::bind_classification(m);
    fastloss::bind::bind_rl(m);
    fastloss::bind::bind_segmentation(m);
    fastloss::bind::bind_pointcloud(m);
    fastloss::bind::bind_metric(m);
    fastloss::bind::bind_metric_batch(m);
    fastloss::bind::bind_transport(m);
}
