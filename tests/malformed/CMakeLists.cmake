# The malformed-model corpus (include()d from tests/CMakeLists.txt): make_corpus.py writes 350+
# structure-aware mutations of real models into the build tree (malformed.setup), and
# run_corpus.py feeds each to dnncc: clean `error:` lines naming the model (one per problem),
# exit code 1, no output file, no crash, within 10 s and 2 GiB each (docs/security.md).
# Label 'errors'.
set(DNNCC_MALFORMED_DIR ${CMAKE_CURRENT_BINARY_DIR}/malformed)
add_test(NAME malformed.setup
         COMMAND ${DNNCC_TEST_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/make_corpus.py ${DNNCC_MALFORMED_DIR}
                 --tinynet ${CMAKE_SOURCE_DIR}/models/tinynet)
set_tests_properties(malformed.setup PROPERTIES FIXTURES_SETUP dnncc_malformed LABELS errors)
add_test(NAME malformed.corpus
         COMMAND ${DNNCC_TEST_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/run_corpus.py ${DNNCC_MALFORMED_DIR}
                 --dnncc $<TARGET_FILE:dnncc> -j 2
                 --cache ${CMAKE_BINARY_DIR}/dnncc-cache)
set_tests_properties(malformed.corpus PROPERTIES FIXTURES_REQUIRED dnncc_malformed LABELS errors
                     PROCESSORS 2 TIMEOUT 900)
